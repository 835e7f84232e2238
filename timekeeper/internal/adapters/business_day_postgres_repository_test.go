package adapters_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/timekeeper/internal/adapters"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

const schema = "timekeeper"

func setup(t *testing.T) (*pgxpool.Pool, *adapters.BusinessDayPostgresRepository) {
	t.Helper()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	ctx := context.Background()
	if err := adapters.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	return pool, adapters.NewBusinessDayPostgresRepository(pool, schema)
}

func mustDate(t *testing.T, y int, m time.Month, d int) domain.Date {
	t.Helper()
	dt, err := domain.NewDate(y, m, d)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// catchUp is the update function of StartCurrentDay: start today unless started.
func catchUp(today domain.Date, at time.Time, started *bool) func(c *domain.Calendar) ([]events.Envelope, error) {
	return func(c *domain.Calendar) ([]events.Envelope, error) {
		day, ok, err := c.CatchUp(today, at)
		if err != nil || !ok {
			return nil, err
		}
		*started = true
		ev, err := events.New(timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: day.Date().String()}, at)
		return []events.Envelope{ev}, err
	}
}

func TestEmptyCalendar(t *testing.T) {
	t.Parallel()
	_, repo := setup(t)
	cal, err := repo.Calendar(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cal.Current(); ok {
		t.Error("a fresh schema has a current business day")
	}
}

func TestUpdateStoresTheDayAndItsEvent(t *testing.T) {
	t.Parallel()
	pool, repo := setup(t)
	ctx := context.Background()
	at := time.Date(2024, 5, 2, 8, 0, 0, 123000000, time.UTC)
	var started bool
	cal, err := repo.Update(ctx, catchUp(mustDate(t, 2024, 5, 2), at, &started))
	if err != nil || !started {
		t.Fatalf("Update = %v, started %v", err, started)
	}
	if day, ok := cal.Current(); !ok || day.Date() != mustDate(t, 2024, 5, 2) {
		t.Errorf("returned %v", day.Date())
	}
	stored, err := repo.Calendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day, ok := stored.Current()
	if !ok || day.Date() != mustDate(t, 2024, 5, 2) || !day.StartedAt().Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("stored %v %v at %s", ok, day.Date(), day.StartedAt())
	}
	if n := count(t, pool, "outbox"); n != 1 {
		t.Errorf("outbox rows %d, want 1", n)
	}
	if n := count(t, pool, "started_days"); n != 1 {
		t.Errorf("started_days rows %d, want 1", n)
	}
}

// TestConcurrentCatchUpStartsTheDayOnce: 20 concurrent start-ups on one database (as
// replicas racing at midnight) start the day once.
func TestConcurrentCatchUpStartsTheDayOnce(t *testing.T) {
	t.Parallel()
	pool, repo := setup(t)
	today := mustDate(t, 2024, 5, 2)
	const n = 20
	startedBy := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			_, errs[i] = repo.Update(context.Background(), catchUp(today, time.Now(), &startedBy[i]))
		})
	}
	close(gate)
	wg.Wait()
	starters := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("update %d: %v", i, errs[i])
		}
		if startedBy[i] {
			starters++
		}
	}
	if starters != 1 {
		t.Errorf("%d updates started the day, want 1", starters)
	}
	if got := count(t, pool, "outbox"); got != 1 {
		t.Errorf("outbox rows %d, want 1", got)
	}
}

func TestUpdateErrorStoresNothing(t *testing.T) {
	t.Parallel()
	pool, repo := setup(t)
	boom := errors.New("boom")
	_, err := repo.Update(context.Background(), func(c *domain.Calendar) ([]events.Envelope, error) {
		if _, err := c.StartDay(mustDate(t, 2024, 5, 2), time.Now()); err != nil {
			return nil, err
		}
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	cal, err := repo.Calendar(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cal.Current(); ok || count(t, pool, "started_days") != 0 || count(t, pool, "outbox") != 0 {
		t.Error("a failed update stored something")
	}
}

func TestEventsWithoutADayAreRefused(t *testing.T) {
	t.Parallel()
	pool, repo := setup(t)
	ev, err := events.New(timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: "2024-05-02"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = repo.Update(context.Background(), func(*domain.Calendar) ([]events.Envelope, error) {
		return []events.Envelope{ev}, nil
	})
	if err == nil {
		t.Fatal("an event without a started day was accepted")
	}
	if count(t, pool, "outbox") != 0 {
		t.Error("the event was stored")
	}
}

// TestHistoryRefusesADayTwice: even if the current day were set back by hand, a day
// already in started_days cannot start (and be emitted) again.
func TestHistoryRefusesADayTwice(t *testing.T) {
	t.Parallel()
	pool, repo := setup(t)
	ctx := context.Background()
	var started bool
	if _, err := repo.Update(ctx, catchUp(mustDate(t, 2024, 5, 2), time.Now(), &started)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE business_day SET current_day = '2024-05-01'`); err != nil {
		t.Fatal(err)
	}
	_, err := repo.Update(ctx, catchUp(mustDate(t, 2024, 5, 2), time.Now(), &started))
	if !errors.Is(err, domain.ErrDayNotAfterCurrent) {
		t.Fatalf("restarting 2024-05-02 = %v, want ErrDayNotAfterCurrent", err)
	}
	if n := count(t, pool, "outbox"); n != 1 {
		t.Errorf("outbox rows %d, want 1", n)
	}
}

func TestCalendarRowIsASingleton(t *testing.T) {
	t.Parallel()
	pool, repo := setup(t)
	ctx := context.Background()
	// Migrating again (a second replica starting) adds no row.
	if err := adapters.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "business_day"); n != 1 {
		t.Errorf("business_day rows %d, want 1", n)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO business_day DEFAULT VALUES`); err == nil {
		t.Error("a second calendar row was accepted")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM business_day`); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Calendar(ctx); !errors.Is(err, adapters.ErrCalendarMissing) {
		t.Errorf("Calendar without its row = %v", err)
	}
	var started bool
	if _, err := repo.Update(ctx, catchUp(mustDate(t, 2024, 5, 2), time.Now(), &started)); !errors.Is(err, adapters.ErrCalendarMissing) {
		t.Errorf("Update without its row = %v", err)
	}
}
