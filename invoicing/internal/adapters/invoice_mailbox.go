package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/shared-go/mail"
)

// Mailbox is invoicing's side of the shared mail outbox (shared-go/mail) in its schema:
// it queues invoice mails inside the caller's transaction and tells which were sent.
// It is safe for concurrent use.
type Mailbox struct {
	pool  *pgxpool.Pool
	queue *mail.Queue
}

var (
	_ MailQueue  = (*Mailbox)(nil)
	_ MailStatus = (*Mailbox)(nil)
)

// NewMailbox returns the mailbox of schema; pool's search_path must be schema.
func NewMailbox(pool *pgxpool.Pool, schema string) *Mailbox {
	return &Mailbox{pool: pool, queue: mail.NewQueue(schema)}
}

// Enqueue records m in tx; the dispatcher sends it after commit. The same Message-ID is
// stored (and sent) once.
func (b *Mailbox) Enqueue(ctx context.Context, tx pgx.Tx, m application.InvoiceMail) error {
	return b.queue.Enqueue(ctx, tx, mail.Message{ID: m.ID, From: m.From, To: m.To, Subject: m.Subject, HTML: m.HTML})
}

// SentAt returns when each of the mails ids was accepted by the mail server; mails
// still pending (or unknown) are absent.
func (b *Mailbox) SentAt(ctx context.Context, ids []string) (map[string]time.Time, error) {
	rows, err := b.pool.Query(ctx, `SELECT message_id, sent_at FROM mail_outbox
		WHERE message_id = ANY($1) AND sent_at IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("mail state: %w", err)
	}
	out := make(map[string]time.Time, len(ids))
	var (
		id string
		at time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		out[id] = at
		return nil
	}); err != nil {
		return nil, fmt.Errorf("mail state: %w", err)
	}
	return out, nil
}
