// Package admin holds Pitstop's operator operations on the messaging machinery of every
// context: dead letters of the outbox relays and of the consumers (list, show, requeue,
// skip), the state of every outbox and durable consumer, replaying a range of the
// stream to one consumer, a context's state transfer (republish), and the logical
// replication slots the relays read (list, drop). The pitstop
// command's subcommands (cmd/pitstop/admincli) and each service's /admin HTTP API
// (Routes) are thin layers over Admin.
//
// Every statement names its schema (pgx.Identifier), so Admin works on any pool,
// whatever its search_path; the tables of each context are discovered with
// to_regclass, never assumed. Runbook: docs/operating.md.
//
// Ordering guarantees kept by the operations:
//   - Requeueing a relay dead letter puts the row back into the outbox under its
//     original id, ahead of the rows of its aggregate that waited behind it; the relay
//     publishes it before them.
//   - Skipping a relay dead letter writes a tombstone (pitstop.<context>.EventSkipped)
//     at the same id and pitstop-seq, so consumers advance past the position.
//   - Requeueing a consumer dead letter publishes a copy (new Nats-Msg-Id, same event
//     id); the consumer that failed applies it in its aggregate's order, every other
//     consumer's inbox drops it.
//   - Skipping a consumer dead letter advances that consumer's aggregate sequence past
//     the event and records it in the inbox, so it is never applied.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors of the operations; the HTTP API maps them to 404, 409, 400 and 503
// (ErrSlotActive, in slots.go, to 409 too).
var (
	// ErrNotFound: no such dead letter, context or consumer (in scope).
	ErrNotFound = errors.New("not found")
	// ErrResolved: the dead letter was already requeued or skipped.
	ErrResolved = errors.New("dead letter already resolved")
	// ErrInvalid is wrapped by every error about the request itself.
	ErrInvalid = errors.New("invalid request")
	// ErrNoBroker: the operation needs NATS JetStream and Admin has none.
	ErrNoBroker = errors.New("no NATS JetStream connection")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Kind says which side gave up on a message.
type Kind string

// The two kinds of dead letters.
const (
	// Relay dead letters are outbox rows the relay could not publish
	// (<context>.outbox_dead_letter): the event never reached the stream.
	Relay Kind = "relay"
	// Consumer dead letters are messages a consumer could not handle
	// (<context>.consumer_dead_letter): the event is on the stream.
	Consumer Kind = "consumer"
)

// ID names one dead letter in the database: its kind, its context (schema) and its
// row id. Its text form is "<kind>:<context>:<row>", e.g. "relay:customers:42" or
// "consumer:invoicing:7".
type ID struct {
	Kind    Kind
	Context string
	Row     int64
}

// String is the text form of id.
func (id ID) String() string {
	return string(id.Kind) + ":" + id.Context + ":" + strconv.FormatInt(id.Row, 10)
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ParseID parses the text form of an ID; the error wraps ErrInvalid.
func ParseID(s string) (ID, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return ID{}, invalid("dead letter id %q is not <relay|consumer>:<context>:<number>", s)
	}
	k := Kind(parts[0])
	if k != Relay && k != Consumer {
		return ID{}, invalid("dead letter id %q: kind must be relay or consumer", s)
	}
	if !schemaName.MatchString(parts[1]) {
		return ID{}, invalid("dead letter id %q: %q is not a context name", s, parts[1])
	}
	n, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || n < 1 {
		return ID{}, invalid("dead letter id %q: %q is not a row number", s, parts[2])
	}
	return ID{Kind: k, Context: parts[1], Row: n}, nil
}

// Options scope an Admin.
type Options struct {
	// Context limits every operation to one context (schema); empty means every
	// context in the database (the command-line tool). A service's /admin API is
	// scoped to its own context.
	Context string
	// Consumers are the durable consumers of the scoped context; empty means the
	// consumers found in its inbox tables.
	Consumers []string
	// Republish re-emits the scoped context's state (nil: the context owns none).
	Republish func(ctx context.Context) (int, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log records the operations that destroy state (dropping a replication slot),
	// with who and why (default slog.Default()).
	Log *slog.Logger
}

// Admin performs the operations on one database and one JetStream. It is safe for
// concurrent use.
type Admin struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
	opts Options
}

// New returns an Admin on pool and js (js may be nil: operations that need the broker
// then fail with ErrNoBroker, the others work).
func New(pool *pgxpool.Pool, js jetstream.JetStream, opts Options) *Admin {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Admin{pool: pool, js: js, opts: opts}
}

// tables are the messaging tables one context (schema) holds.
type tables struct {
	schema       string
	outbox       bool // outbox and outbox_sequence: the context publishes
	outboxDL     bool // outbox_dead_letter
	consumerDL   bool // consumer_dead_letter: the context consumes
	inbox        bool // inbox and inbox_sequence
	auditEntries bool // the audit log's own table (auditlog)
}

func (t tables) any() bool { return t.outbox || t.outboxDL || t.consumerDL || t.inbox }

// contexts discovers the contexts (schemas with messaging tables), in name order,
// limited to the Admin's scope and, if only is set, to that one.
func (a *Admin) contexts(ctx context.Context, only string) ([]tables, error) {
	if a.opts.Context != "" {
		if only != "" && only != a.opts.Context {
			return nil, nil
		}
		only = a.opts.Context
	}
	rows, err := a.pool.Query(ctx, `SELECT n.nspname,
			to_regclass(format('%I.outbox', n.nspname)) IS NOT NULL,
			to_regclass(format('%I.outbox_dead_letter', n.nspname)) IS NOT NULL,
			to_regclass(format('%I.consumer_dead_letter', n.nspname)) IS NOT NULL,
			to_regclass(format('%I.inbox_sequence', n.nspname)) IS NOT NULL
				AND to_regclass(format('%I.inbox', n.nspname)) IS NOT NULL,
			to_regclass(format('%I.audit_entries', n.nspname)) IS NOT NULL
		FROM pg_namespace n
		WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND ($1 = '' OR n.nspname = $1)
		ORDER BY n.nspname`, only)
	if err != nil {
		return nil, fmt.Errorf("discover contexts: %w", err)
	}
	defer rows.Close()
	var out []tables
	for rows.Next() {
		var t tables
		if err := rows.Scan(&t.schema, &t.outbox, &t.outboxDL, &t.consumerDL, &t.inbox, &t.auditEntries); err != nil {
			return nil, fmt.Errorf("discover contexts: %w", err)
		}
		if t.any() && schemaName.MatchString(t.schema) {
			out = append(out, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("discover contexts: %w", err)
	}
	return out, nil
}

// context returns the tables of one context, or ErrNotFound.
func (a *Admin) context(ctx context.Context, name string) (tables, error) {
	ts, err := a.contexts(ctx, name)
	if err != nil {
		return tables{}, err
	}
	if len(ts) == 0 {
		return tables{}, fmt.Errorf("context %q: %w", name, ErrNotFound)
	}
	return ts[0], nil
}

// Contexts lists the contexts in scope that have an outbox or consumer tables.
func (a *Admin) Contexts(ctx context.Context) ([]string, error) {
	ts, err := a.contexts(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.schema
	}
	return out, nil
}

// consumersOf lists the consumers whose inbox lives in t: the configured ones for the
// scoped context, else every consumer name in its inbox tables (the inbox by a loose
// index scan of its primary key, so it stays cheap on a big inbox).
func (a *Admin) consumersOf(ctx context.Context, t tables) ([]string, error) {
	if a.opts.Context == t.schema && len(a.opts.Consumers) > 0 {
		return slices.Clone(a.opts.Consumers), nil
	}
	var parts []string
	if t.inbox {
		parts = append(parts, `(WITH RECURSIVE c(consumer) AS (
				(SELECT consumer FROM `+ident(t.schema, "inbox")+` ORDER BY consumer LIMIT 1)
				UNION ALL
				SELECT (SELECT i.consumer FROM `+ident(t.schema, "inbox")+` i WHERE i.consumer > c.consumer ORDER BY i.consumer LIMIT 1)
				FROM c WHERE c.consumer IS NOT NULL)
			SELECT consumer FROM c WHERE consumer IS NOT NULL)`,
			`SELECT DISTINCT consumer FROM `+ident(t.schema, "inbox_sequence"))
	}
	if t.consumerDL {
		parts = append(parts, `SELECT DISTINCT consumer FROM `+ident(t.schema, "consumer_dead_letter"))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err := a.pool.Query(ctx, strings.Join(parts, " UNION ")+" ORDER BY 1")
	if err != nil {
		return nil, fmt.Errorf("consumers of %s: %w", t.schema, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// consumerContexts maps every consumer in scope to the context holding its inbox.
func (a *Admin) consumerContexts(ctx context.Context) (map[string]string, error) {
	ts, err := a.contexts(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range ts {
		if !t.inbox && !t.consumerDL && !(a.opts.Context == t.schema && len(a.opts.Consumers) > 0) {
			continue
		}
		names, err := a.consumersOf(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			out[n] = t.schema
		}
	}
	return out, nil
}
