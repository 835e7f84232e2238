package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
)

// MailQueue records a mail to send inside the caller's transaction (it is sent only
// after commit); enqueueing the same Message-ID twice stores it once.
type MailQueue interface {
	Enqueue(ctx context.Context, tx pgx.Tx, m domain.Mail) error
}

// ReminderTxStore is the notifications context's storage inside one transaction, so
// that every write here commits or rolls back with it: the consumer's, which also
// records the event in the inbox (read model rows, reminders, reminder mails), or the
// mail dispatcher's, which marks a mail sent (the MaintenanceReminderSent outbox row).
// It implements application.Store and application.SentReminderBook. It is not safe for
// concurrent use (neither is a pgx.Tx).
type ReminderTxStore struct {
	tx     pgx.Tx
	mails  MailQueue
	outbox *outbox.Writer
}

// NewReminderTxStore binds a store to tx; reminder mails go to mails, events to the
// outbox of schema.
func NewReminderTxStore(tx pgx.Tx, mails MailQueue, schema string) *ReminderTxStore {
	return &ReminderTxStore{tx: tx, mails: mails, outbox: outbox.NewWriter(schema)}
}

var (
	_ application.Store            = (*ReminderTxStore)(nil)
	_ application.SentReminderBook = (*ReminderTxStore)(nil)
)

// UpsertCustomer inserts or updates the customer. A sequenced event (v.Seq > 0) always
// wins: the consumer applies an aggregate's events in sequence order. An unsequenced
// one wins only over a row from an older event (by event time, then event id). It
// reports whether the row was written.
func (s *ReminderTxStore) UpsertCustomer(ctx context.Context, c domain.Customer, v application.SourceVersion) (bool, error) {
	tag, err := s.tx.Exec(ctx, `INSERT INTO customers (customer_id, name, email_address, event_time, event_id)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, email_address = EXCLUDED.email_address,
			event_time = EXCLUDED.event_time, event_id = EXCLUDED.event_id, updated_at = now()
		WHERE $6::bigint > 0 OR (EXCLUDED.event_time, EXCLUDED.event_id) > (customers.event_time, customers.event_id)`,
		c.ID(), c.Name(), c.EmailAddress(), v.Time, v.EventID, v.Seq)
	if err != nil {
		return false, fmt.Errorf("upsert customer: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// timeLayout keeps a job's times as published: with their offset (local time).
const timeLayout = time.RFC3339Nano

// RecordJobPlan stores the job's plan: a new row, or the plan of a row created by an
// earlier MaintenanceJobFinished (which stays finished). A job whose plan is known
// keeps it. It reports whether the plan was new.
func (s *ReminderTxStore) RecordJobPlan(ctx context.Context, j domain.Job) (bool, error) {
	tag, err := s.tx.Exec(ctx, `INSERT INTO jobs (planning_date, job_id, planned, customer_id, start_time, end_time,
			description, license_number)
		VALUES ($1, $2, true, $3, $4, $5, $6, $7)
		ON CONFLICT (planning_date, job_id) DO UPDATE SET planned = true, customer_id = EXCLUDED.customer_id,
			start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, description = EXCLUDED.description,
			license_number = EXCLUDED.license_number, updated_at = now()
		WHERE NOT jobs.planned`,
		j.PlanningDate().Time(), j.ID(), j.CustomerID(), j.Start().Format(timeLayout), j.End().Format(timeLayout),
		j.Description(), j.LicenseNumber())
	if err != nil {
		return false, fmt.Errorf("record job plan: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordJobFinish marks the job finished, creating its row (without a plan) when the
// plan has not arrived yet.
func (s *ReminderTxStore) RecordJobFinish(ctx context.Context, k domain.JobKey) error {
	_, err := s.tx.Exec(ctx, `INSERT INTO jobs (planning_date, job_id, finished) VALUES ($1, $2, true)
		ON CONFLICT (planning_date, job_id) DO UPDATE SET finished = true, updated_at = now()
		WHERE NOT jobs.finished`, k.PlanningDate().Time(), k.JobID())
	if err != nil {
		return fmt.Errorf("record job finish: %w", err)
	}
	return nil
}

// RecordJobCancel marks the job cancelled, creating its row (without a plan) when the
// plan has not arrived yet. It reports what the job was before: planned, reminded.
func (s *ReminderTxStore) RecordJobCancel(ctx context.Context, k domain.JobKey) (application.JobChange, error) {
	var ch application.JobChange
	// The CTE reads the row as it was before this statement (a row the upsert creates
	// is not in it).
	err := s.tx.QueryRow(ctx, `WITH before AS (
			SELECT planned, reminder_id IS NOT NULL AS reminded FROM jobs WHERE planning_date = $1 AND job_id = $2
		), upsert AS (
			INSERT INTO jobs (planning_date, job_id, cancelled) VALUES ($1, $2, true)
			ON CONFLICT (planning_date, job_id) DO UPDATE SET cancelled = true, updated_at = now()
			WHERE NOT jobs.cancelled
		)
		SELECT coalesce((SELECT planned FROM before), false), coalesce((SELECT reminded FROM before), false)`,
		k.PlanningDate().Time(), k.JobID()).Scan(&ch.Planned, &ch.Reminded)
	if err != nil {
		return application.JobChange{}, fmt.Errorf("record job cancel: %w", err)
	}
	return ch, nil
}

// RescheduleJob sets the planned job's times (kept as published, with their offset).
// A job without a plan is left alone (Planned false).
func (s *ReminderTxStore) RescheduleJob(ctx context.Context, k domain.JobKey, start, end time.Time) (application.JobChange, error) {
	var ch application.JobChange
	err := s.tx.QueryRow(ctx, `UPDATE jobs SET start_time = $3, end_time = $4, updated_at = now()
		WHERE planning_date = $1 AND job_id = $2 AND planned
		RETURNING true, reminder_id IS NOT NULL`,
		k.PlanningDate().Time(), k.JobID(), start.Format(timeLayout), end.Format(timeLayout)).Scan(&ch.Planned, &ch.Reminded)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return application.JobChange{}, fmt.Errorf("reschedule job: %w", err)
	}
	return ch, nil
}

// ForgetJob deletes the job's row of its day. A reminder that listed it keeps the job
// id in its history (reminders.job_ids).
func (s *ReminderTxStore) ForgetJob(ctx context.Context, k domain.JobKey) (application.JobChange, error) {
	var ch application.JobChange
	err := s.tx.QueryRow(ctx, `DELETE FROM jobs WHERE planning_date = $1 AND job_id = $2
		RETURNING planned, reminder_id IS NOT NULL`, k.PlanningDate().Time(), k.JobID()).Scan(&ch.Planned, &ch.Reminded)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return application.JobChange{}, fmt.Errorf("forget job: %w", err)
	}
	return ch, nil
}

// AddReminder stores r, marks its jobs reminded and enqueues its mail, all in the
// store's transaction. When one of r's jobs is no longer due (a concurrent transaction
// reminded or finished it), it fails with an error wrapping
// application.ErrJobAlreadyReminded and the caller's transaction must roll back.
func (s *ReminderTxStore) AddReminder(ctx context.Context, r domain.Reminder) error {
	var id int64
	err := s.tx.QueryRow(ctx, `INSERT INTO reminders (customer_id, reminder_date, seq, job_ids, message_id)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		r.Customer().ID(), r.Date().Time(), r.Seq(), r.JobIDs(), r.MessageID()).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert reminder: %w", err)
	}
	tag, err := s.tx.Exec(ctx, `UPDATE jobs SET reminder_id = $1, updated_at = now()
		WHERE planning_date = $2 AND job_id = ANY($3) AND customer_id = $4
			AND planned AND NOT finished AND NOT cancelled AND reminder_id IS NULL`,
		id, r.Date().Time(), r.JobIDs(), r.Customer().ID())
	if err != nil {
		return fmt.Errorf("mark jobs reminded: %w", err)
	}
	if n := int(tag.RowsAffected()); n != len(r.JobIDs()) {
		return fmt.Errorf("%w: %d of the %d jobs of %s are no longer due", application.ErrJobAlreadyReminded,
			len(r.JobIDs())-n, len(r.JobIDs()), r.MessageID())
	}
	if err := s.mails.Enqueue(ctx, s.tx, r.Mail()); err != nil {
		return fmt.Errorf("enqueue reminder mail: %w", err)
	}
	return nil
}

// ReminderByMessageID returns the reminder whose mail has the Message-ID (its
// delivery state is not read: the caller is the one marking the mail sent).
func (s *ReminderTxStore) ReminderByMessageID(ctx context.Context, messageID string) (application.ReminderRecord, bool, error) {
	var (
		rec application.ReminderRecord
		day time.Time
	)
	err := s.tx.QueryRow(ctx, `SELECT id, customer_id, reminder_date, job_ids, message_id, created_at
		FROM reminders WHERE message_id = $1`, messageID).
		Scan(&rec.Position, &rec.CustomerID, &day, &rec.JobIDs, &rec.MessageID, &rec.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return application.ReminderRecord{}, false, nil
	}
	if err != nil {
		return application.ReminderRecord{}, false, fmt.Errorf("select reminder %s: %w", messageID, err)
	}
	rec.Date = domain.DateOf(day)
	return rec, true, nil
}

// AddEvent adds ev to the outbox in the store's transaction.
func (s *ReminderTxStore) AddEvent(ctx context.Context, ev events.Envelope) error {
	return s.outbox.Add(ctx, s.tx, ev)
}

// StartDay records the business day and reports whether no later day has begun.
func (s *ReminderTxStore) StartDay(ctx context.Context, date domain.Date) (bool, error) {
	if _, err := s.tx.Exec(ctx, `INSERT INTO business_days (day) VALUES ($1) ON CONFLICT DO NOTHING`, date.Time()); err != nil {
		return false, fmt.Errorf("record business day: %w", err)
	}
	var later bool
	if err := s.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM business_days WHERE day > $1)`, date.Time()).Scan(&later); err != nil {
		return false, fmt.Errorf("read business days: %w", err)
	}
	return !later, nil
}

// CurrentDay returns the latest business day that began.
func (s *ReminderTxStore) CurrentDay(ctx context.Context) (domain.Date, bool, error) {
	var day *time.Time
	if err := s.tx.QueryRow(ctx, `SELECT max(day) FROM business_days`).Scan(&day); err != nil {
		return domain.Date{}, false, fmt.Errorf("read current business day: %w", err)
	}
	if day == nil {
		return domain.Date{}, false, nil
	}
	return domain.DateOf(*day), true, nil
}

// DueReminders locks (FOR UPDATE) and returns the due jobs of date grouped by customer,
// in customer id order, and the ids of due jobs whose customer is unknown. A job locked
// by a concurrent transaction is waited for and then re-checked, so a job that the other
// transaction reminded or finished is not returned.
func (s *ReminderTxStore) DueReminders(ctx context.Context, date domain.Date, customerID string) ([]application.DueReminder, []string, error) {
	rows, err := s.tx.Query(ctx, `SELECT j.job_id, j.customer_id, j.start_time, j.end_time, j.description,
			j.license_number, c.customer_id IS NOT NULL, coalesce(c.name, ''), coalesce(c.email_address, ''),
			(SELECT count(*) FROM reminders r WHERE r.customer_id = j.customer_id AND r.reminder_date = j.planning_date)
		FROM jobs j LEFT JOIN customers c ON c.customer_id = j.customer_id
		WHERE j.planning_date = $1 AND ($2 = '' OR j.customer_id = $2)
			AND j.planned AND NOT j.finished AND NOT j.cancelled AND j.reminder_id IS NULL
		ORDER BY j.customer_id, j.job_id
		FOR UPDATE OF j`, date.Time(), customerID)
	if err != nil {
		return nil, nil, fmt.Errorf("select due jobs: %w", err)
	}
	defer rows.Close()
	var (
		due     []application.DueReminder
		waiting []string
	)
	for rows.Next() {
		var (
			jd         domain.JobDetails
			cd         domain.CustomerDetails
			start, end string
			known      bool
			earlier    int
		)
		if err := rows.Scan(&jd.JobID, &jd.CustomerID, &start, &end, &jd.Description, &jd.LicenseNumber,
			&known, &cd.Name, &cd.EmailAddress, &earlier); err != nil {
			return nil, nil, fmt.Errorf("scan due job: %w", err)
		}
		if !known {
			waiting = append(waiting, jd.JobID)
			continue
		}
		jd.PlanningDate = date
		if jd.Start, err = time.Parse(timeLayout, start); err != nil {
			return nil, nil, fmt.Errorf("stored start of job %s: %w", jd.JobID, err)
		}
		if jd.End, err = time.Parse(timeLayout, end); err != nil {
			return nil, nil, fmt.Errorf("stored end of job %s: %w", jd.JobID, err)
		}
		j, err := domain.NewJob(jd)
		if err != nil {
			return nil, nil, fmt.Errorf("stored job %s: %w", jd.JobID, err)
		}
		if n := len(due); n == 0 || due[n-1].Customer.ID() != jd.CustomerID {
			cd.CustomerID = jd.CustomerID
			c, err := domain.NewCustomer(cd)
			if err != nil {
				return nil, nil, fmt.Errorf("stored customer %s: %w", cd.CustomerID, err)
			}
			due = append(due, application.DueReminder{Customer: c, Earlier: earlier})
		}
		due[len(due)-1].Jobs = append(due[len(due)-1].Jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("select due jobs: %w", err)
	}
	return due, waiting, nil
}
