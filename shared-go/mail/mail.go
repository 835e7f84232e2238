// Package mail is Pitstop's transactional mail outbox: a Queue records a mail inside
// the caller's transaction (so it exists if and only if the business effect that
// caused it committed), and a Dispatcher sends committed mails through a Sender (SMTP,
// or .eml files for the all-in-one) after commit, retrying until the server accepts
// them.
//
// Guarantees:
//   - A mail is queued if and only if the transaction that enqueued it committed; a
//     rolled-back transaction never sends anything, and nothing is sent before commit.
//   - Enqueue is idempotent on Message.ID: the same logical mail enqueued twice is
//     stored, and sent, once (the first content wins).
//   - Delivery to the mail server is at least once: every committed mail is offered to
//     the Sender until it succeeds, however long the server is down (failures are
//     retried forever with exponential back-off and the last error is kept on the row).
//   - A mail is offered again only if the dispatcher could not record its success: it
//     crashed (or lost Postgres) between the server's acceptance and marking the row
//     sent. The stable Message-ID header (<ID>) lets the receiver recognise such a
//     duplicate. While a live dispatcher retries the marking it keeps the mail's
//     lease, so no other dispatcher sends it again.
//   - What follows from a sent mail (DispatcherConfig.OnSent, e.g. an outbox event
//     saying "sent") commits in the transaction that marks the mail sent: it exists if
//     and only if the mail is recorded as sent, and it happens once per mail.
//   - Any number of dispatchers may run on one schema: a row is claimed with a lease
//     (UPDATE ... FOR UPDATE SKIP LOCKED ... RETURNING), so no two send it at the same
//     time. No network call ever runs inside a transaction.
package mail

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/postgres"
)

// Message is one e-mail. ID is its stable RFC 5322 Message-ID without angle brackets
// (e.g. "reminder.<customerId>.<date>@pitstop.example"); the same logical mail always
// gets the same ID, so a retry is recognisable and enqueueing it twice stores it once.
type Message struct {
	// ID is the Message-ID without angle brackets: dot-atom "@" dot-atom.
	ID string
	// From is the author's address, with or without a display name
	// ("Pitstop <noreply@pitstop.example>" or "noreply@pitstop.example").
	From string
	// To lists the recipients (at least one), in the same forms as From.
	To []string
	// Subject is the subject line (any Unicode; no line breaks).
	Subject string
	// Text is the plain-text body (optional if HTML is set).
	Text string
	// HTML is the HTML body (optional if Text is set). It is sent exactly as given:
	// escaping untrusted data is the caller's job (html/template).
	HTML string
}

// ErrInvalidMessage is wrapped by the error of Validate (and so of Enqueue) when a
// message cannot be sent as it is. Nothing is stored for an invalid message.
var ErrInvalidMessage = errors.New("invalid mail message")

// MaxIDLength is the longest Message.ID accepted.
const MaxIDLength = 250

// atext per RFC 5322 3.2.3; a msg-id is dot-atom-text "@" dot-atom-text here (the
// obsolete and domain-literal forms are not accepted).
var msgID = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*" +
	"@[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")

// Validate reports why m cannot be sent, as an error wrapping ErrInvalidMessage, or
// nil: the ID must be a valid msg-id (without brackets, at most MaxIDLength bytes),
// From and every To must parse as RFC 5322 addresses, there must be at least one
// recipient, the subject must have no line break, at least one body must be set,
// and all text must be valid UTF-8 without NUL bytes.
func (m Message) Validate() error {
	var problems []string
	if len(m.ID) > MaxIDLength || !msgID.MatchString(m.ID) {
		problems = append(problems, fmt.Sprintf("ID %q is not a Message-ID (local@domain, without angle brackets)", m.ID))
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		problems = append(problems, fmt.Sprintf("From %q: %v", m.From, err))
	}
	if len(m.To) == 0 {
		problems = append(problems, "no recipient")
	}
	for _, to := range m.To {
		if _, err := mail.ParseAddress(to); err != nil {
			problems = append(problems, fmt.Sprintf("To %q: %v", to, err))
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		problems = append(problems, "Subject contains a line break")
	}
	if m.Text == "" && m.HTML == "" {
		problems = append(problems, "no body (Text or HTML)")
	}
	for _, f := range []struct{ name, value string }{{"ID", m.ID}, {"From", m.From},
		{"To", strings.Join(m.To, ",")}, {"Subject", m.Subject}, {"Text", m.Text}, {"HTML", m.HTML}} {
		if !utf8.ValidString(f.value) || strings.IndexByte(f.value, 0) >= 0 {
			problems = append(problems, f.name+" is not valid UTF-8 text without NUL bytes")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidMessage, strings.Join(problems, "; "))
	}
	return nil
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the mail outbox's SQL migrations (goose, files at the root).
func Migrations() fs.FS { return postgres.MigrationsDir(migrations) }

// Migrate creates or upgrades the mail_outbox table in schema (goose set "mail");
// pool's search_path must be schema, as pools from postgres.Connect are.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "mail", Migrations())
}

// Channel is the LISTEN/NOTIFY channel that wakes the dispatcher of schema.
func Channel(schema string) string { return "pitstop_mail_" + schema }

// Queue records mails to send inside the caller's transaction (committed with the
// business effect, sent only after commit). Enqueue is idempotent on Message.ID.
// A Queue is safe for concurrent use.
type Queue struct {
	channel string
}

// NewQueue returns a queue for the mail outbox in schema (the caller's transaction
// must use that schema's search_path, as pools from postgres.Connect do).
func NewQueue(schema string) *Queue { return &Queue{channel: Channel(schema)} }

// Enqueue validates m (an invalid message fails with an error wrapping
// ErrInvalidMessage and stores nothing) and inserts it into the mail outbox inside
// tx, with a notification that Postgres delivers to the dispatcher on commit (and
// never, if tx rolls back). A message whose ID is already queued or sent is ignored:
// the first one stored is the one sent.
func (q *Queue) Enqueue(ctx context.Context, tx pgx.Tx, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO mail_outbox (message_id, from_address, to_addresses, subject, text_body, html_body)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING`,
		m.ID, m.From, m.To, m.Subject, m.Text, m.HTML)
	b.Queue(`SELECT pg_notify($1, '')`, q.channel)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("enqueue mail %s: %w", m.ID, err)
	}
	return nil
}
