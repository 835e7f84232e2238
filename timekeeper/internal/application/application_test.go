package application_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/timekeeper/internal/application"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// memoryRepo is an in-memory Repository: a mutex plays the row lock, and the "outbox"
// keeps every event stored.
type memoryRepo struct {
	mu     sync.Mutex
	cal    domain.Calendar
	outbox []events.Envelope
}

func (r *memoryRepo) Update(_ context.Context, fn func(c *domain.Calendar) ([]events.Envelope, error)) (domain.Calendar, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cal
	evs, err := fn(&c)
	if err != nil {
		return domain.Calendar{}, err
	}
	r.cal = c
	r.outbox = append(r.outbox, evs...)
	return c, nil
}

func (r *memoryRepo) Calendar(context.Context) (domain.Calendar, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cal, nil
}

func tokyo(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func decode(t *testing.T, ev events.Envelope) timekeeperevents.DayHasPassed {
	t.Helper()
	var body timekeeperevents.DayHasPassed
	if err := ev.Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

// TestStartCurrentDay: today is the clock's date in the configured zone (not UTC), the
// event carries the contract's type, source, subject and time, and a second call the
// same day does nothing.
func TestStartCurrentDay(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 2, 20, 0, 0, 0, time.UTC) // already 05-03 in Tokyo
	repo := &memoryRepo{}
	a := application.New(repo, func() time.Time { return now }, tokyo(t))

	res, err := a.StartCurrentDay.Handle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Started || res.Day.Date().String() != "2024-05-03" || !res.Day.StartedAt().Equal(now) {
		t.Fatalf("result %+v", res)
	}
	if len(repo.outbox) != 1 {
		t.Fatalf("outbox %d events", len(repo.outbox))
	}
	ev := repo.outbox[0]
	if ev.ID != res.EventID || ev.Type != timekeeperevents.SubjectDayHasPassed || ev.Source != timekeeperevents.Source ||
		ev.Subject != "2024-05-03" || !ev.Time.Equal(now) || decode(t, ev).Date != "2024-05-03" {
		t.Errorf("event %+v", ev)
	}

	again, err := a.StartCurrentDay.Handle(context.Background())
	if err != nil || again.Started || again.Day.Date() != res.Day.Date() || len(repo.outbox) != 1 {
		t.Errorf("second call %+v, %v; outbox %d", again, err, len(repo.outbox))
	}
}

func TestStartNextDayAndGetCurrentDay(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)
	repo := &memoryRepo{}
	a := application.New(repo, func() time.Time { return now }, nil) // UTC

	if _, err := a.GetCurrentDay.Handle(context.Background()); !errors.Is(err, domain.ErrNoBusinessDay) {
		t.Errorf("GetCurrentDay before any day = %v", err)
	}
	for _, want := range []string{"2024-05-02", "2024-05-03", "2024-05-04"} {
		res, err := a.StartNextDay.Handle(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Day.Date().String() != want {
			t.Errorf("StartNextDay = %s, want %s", res.Day.Date(), want)
		}
		last := repo.outbox[len(repo.outbox)-1]
		if last.ID != res.EventID || decode(t, last).Date != want {
			t.Errorf("event %+v", last)
		}
	}
	day, err := a.GetCurrentDay.Handle(context.Background())
	if err != nil || day.Date().String() != "2024-05-04" {
		t.Errorf("GetCurrentDay = %v, %v", day.Date(), err)
	}
}

func TestStartNextDayOutOfRange(t *testing.T) {
	t.Parallel()
	last, err := domain.NewDate(domain.MaxYear, 12, 31)
	if err != nil {
		t.Fatal(err)
	}
	repo := &memoryRepo{cal: domain.RehydrateCalendar(last, time.Now())}
	a := application.New(repo, time.Now, nil)
	if _, err := a.StartNextDay.Handle(context.Background()); !errors.Is(err, domain.ErrDateOutOfRange) {
		t.Errorf("StartNextDay after %s = %v", last, err)
	}
	if len(repo.outbox) != 0 {
		t.Error("an event was stored")
	}
}
