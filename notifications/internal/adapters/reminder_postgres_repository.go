package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// ReminderPostgresRepository reads the reminders with the delivery state of their
// mails. It implements application.ReminderReader and is safe for concurrent use.
type ReminderPostgresRepository struct {
	pool *pgxpool.Pool
}

// NewReminderPostgresRepository returns the read side of the reminders in the pool's
// schema.
func NewReminderPostgresRepository(pool *pgxpool.Pool) *ReminderPostgresRepository {
	return &ReminderPostgresRepository{pool: pool}
}

var _ application.ReminderReader = (*ReminderPostgresRepository)(nil)

// Reminders returns at most n reminders matching f with id greater than after, in id
// (creation) order. A reminder's SentAt is its mail's sent_at in the mail outbox of
// the same schema (shared-go/mail keeps sent rows as the record of what was sent).
func (r *ReminderPostgresRepository) Reminders(ctx context.Context, f application.ReminderFilter, after int64, n int) ([]application.ReminderRecord, error) {
	var date *time.Time
	if !f.Date.IsZero() {
		t := f.Date.Time()
		date = &t
	}
	rows, err := r.pool.Query(ctx, `SELECT r.id, r.customer_id, r.reminder_date, r.job_ids, r.message_id, r.created_at,
			m.sent_at
		FROM reminders r LEFT JOIN mail_outbox m ON m.message_id = r.message_id
		WHERE r.id > $1 AND ($2 = '' OR r.customer_id = $2) AND ($3::date IS NULL OR r.reminder_date = $3)
		ORDER BY r.id LIMIT $4`, after, f.CustomerID, date, n)
	if err != nil {
		return nil, fmt.Errorf("select reminders: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (application.ReminderRecord, error) {
		var (
			rec application.ReminderRecord
			day time.Time
		)
		err := row.Scan(&rec.Position, &rec.CustomerID, &day, &rec.JobIDs, &rec.MessageID, &rec.CreatedAt, &rec.SentAt)
		rec.Date = domain.DateOf(day)
		return rec, err
	})
}
