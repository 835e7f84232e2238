// Package adapters implements the timekeeper's storage on Postgres: the current
// business day (one locked row), the history of started days and, in the same
// transactions, the context's outbox.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/timekeeper/internal/application"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the timekeeper tables in the pool's schema (the outbox
// tables are migrated separately by outbox.Migrate).
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "timekeeper", postgres.MigrationsDir(migrations))
}

// ErrCalendarMissing is returned when the business_day row is missing: the schema was
// not migrated by Migrate.
var ErrCalendarMissing = errors.New("timekeeper: business_day row missing (schema not migrated)")

// BusinessDayPostgresRepository stores the calendar in Postgres and writes its events
// to the outbox in the same transaction. It is safe for concurrent use, also by several
// processes on one database: every Update holds the calendar row's lock until commit.
type BusinessDayPostgresRepository struct {
	pool   *pgxpool.Pool
	outbox *outbox.Writer
}

var _ application.Repository = (*BusinessDayPostgresRepository)(nil)

// NewBusinessDayPostgresRepository returns a repository on pool, whose search_path must
// be schema (as pools from postgres.Connect are).
func NewBusinessDayPostgresRepository(pool *pgxpool.Pool, schema string) *BusinessDayPostgresRepository {
	return &BusinessDayPostgresRepository{pool: pool, outbox: outbox.NewWriter(schema)}
}

// Calendar reads the stored calendar without locking it.
func (r *BusinessDayPostgresRepository) Calendar(ctx context.Context) (domain.Calendar, error) {
	cal, err := scanCalendar(r.pool.QueryRow(ctx, `SELECT current_day, started_at FROM business_day`))
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("read business day: %w", err)
	}
	return cal, nil
}

// Update locks the calendar row (SELECT ... FOR UPDATE), applies fn and, when fn
// started a business day, stores it, records it in started_days and adds fn's events to
// the outbox, all in one transaction. A concurrent Update waits for the lock and then
// sees the committed day, so the check "the new day is after the stored one" and the
// write can never interleave: a day starts once even with several replicas racing. When
// fn started nothing, nothing is written (fn must then return no events).
func (r *BusinessDayPostgresRepository) Update(ctx context.Context,
	fn func(c *domain.Calendar) ([]events.Envelope, error)) (domain.Calendar, error) {
	var result domain.Calendar
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		cal, err := scanCalendar(tx.QueryRow(ctx, `SELECT current_day, started_at FROM business_day FOR UPDATE`))
		if err != nil {
			return err
		}
		before, had := cal.Current()
		evs, err := fn(&cal)
		if err != nil {
			return err
		}
		result = cal // fn's changes; the rest of the transaction only stores them
		after, has := cal.Current()
		if !has || (had && after.Equal(before)) {
			if len(evs) > 0 {
				return errors.New("events without a started business day")
			}
			return nil
		}
		day := dateParam(after.Date())
		if _, err := tx.Exec(ctx, `UPDATE business_day SET current_day = $1, started_at = $2`,
			day, after.StartedAt()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO started_days (day, started_at) VALUES ($1, $2)`,
			day, after.StartedAt()); err != nil {
			if postgres.IsUniqueViolation(err) {
				return fmt.Errorf("%s: %w", after.Date(), domain.ErrDayNotAfterCurrent)
			}
			return err
		}
		return r.outbox.Add(ctx, tx, evs...)
	})
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("update business day: %w", err)
	}
	return result, nil
}

// dateParam is d as a value pgx encodes as a date (the time's year, month and day).
func dateParam(d domain.Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func scanCalendar(row pgx.Row) (domain.Calendar, error) {
	var (
		day       pgtype.Date
		startedAt pgtype.Timestamptz
	)
	err := row.Scan(&day, &startedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Calendar{}, ErrCalendarMissing
	}
	if err != nil {
		return domain.Calendar{}, err
	}
	if !day.Valid {
		return domain.Calendar{}, nil
	}
	if day.InfinityModifier != pgtype.Finite || !startedAt.Valid {
		return domain.Calendar{}, fmt.Errorf("stored business day is not a date: %v", day)
	}
	d, err := domain.NewDate(day.Time.Year(), day.Time.Month(), day.Time.Day())
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("stored business day: %w", err)
	}
	return domain.RehydrateCalendar(d, startedAt.Time), nil
}
