package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is what the read functions need: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx
// whose search_path is the mail outbox's schema.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Record is a queued mail with its delivery state.
type Record struct {
	Message
	// Seq increases in enqueue order and never changes (the cursor of List).
	Seq int64
	// CreatedAt is when the mail was enqueued.
	CreatedAt time.Time
	// SentAt is when the mail server accepted it; nil while it is pending.
	SentAt *time.Time
	// Attempts counts failed delivery attempts; LastError is the latest failure's
	// reason ("" if none) and NextAttemptAt when a pending mail is tried again.
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
}

// Status selects records by delivery state.
type Status int

// Statuses for ListFilter.
const (
	StatusAny Status = iota
	StatusPending
	StatusSent
)

// ListFilter restricts List; the zero value lists the first 100 mails of any status.
type ListFilter struct {
	Status Status
	// After lists only records with a greater Seq (pass the last Seq of a page).
	After int64
	// Limit is the most records returned (default 100, at most 1000).
	Limit int
}

// ErrNotFound is returned by Get for an ID that was never queued (or whose
// transaction has not committed).
var ErrNotFound = errors.New("mail not found")

const recordColumns = `id, message_id, from_address, to_addresses, subject, text_body, html_body,
	created_at, sent_at, attempts, coalesce(last_error, ''), next_attempt_at`

func scanRecord(row pgx.Row) (Record, error) {
	var r Record
	err := row.Scan(&r.Seq, &r.ID, &r.From, &r.To, &r.Subject, &r.Text, &r.HTML,
		&r.CreatedAt, &r.SentAt, &r.Attempts, &r.LastError, &r.NextAttemptAt)
	return r, err
}

// Get returns the mail with the given Message-ID (without angle brackets).
func Get(ctx context.Context, q Querier, id string) (Record, error) {
	r, err := scanRecord(q.QueryRow(ctx, `SELECT `+recordColumns+` FROM mail_outbox WHERE message_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, fmt.Errorf("mail %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("get mail %s: %w", id, err)
	}
	return r, nil
}

// List returns queued mails in enqueue order (Seq ascending), filtered by f.
func List(ctx context.Context, q Querier, f ListFilter) ([]Record, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var where string
	switch f.Status {
	case StatusPending:
		where = ` AND sent_at IS NULL`
	case StatusSent:
		where = ` AND sent_at IS NOT NULL`
	}
	rows, err := q.Query(ctx, `SELECT `+recordColumns+` FROM mail_outbox WHERE id > $1`+where+
		` ORDER BY id LIMIT $2`, f.After, limit)
	if err != nil {
		return nil, fmt.Errorf("list mails: %w", err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) { return scanRecord(row) })
	if err != nil {
		return nil, fmt.Errorf("list mails: %w", err)
	}
	return rs, nil
}

// Pending counts committed mails not sent yet.
func Pending(ctx context.Context, q Querier) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending mails: %w", err)
	}
	return n, nil
}
