package timekeeper_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/timekeeper/internal/ports"
)

// TestRestartOnTheSameDayEmitsNothingNew starts the timekeeper, stops it and starts it
// again later the same day: only the first start emits DayHasPassed.
func TestRestartOnTheSameDayEmitsNothingNew(t *testing.T) {
	t.Parallel()
	first := newHarness(t, "", at(t, 2024, 5, 2, 10, 0, 0), nil, nil)
	stop := first.StartWorkers()
	first.clock.nextTimer(t)
	if got, want := first.dates(), []string{"2024-05-02"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the first start: %v, want %v", got, want)
	}
	stop()

	second := newHarness(t, first.DatabaseURL, at(t, 2024, 5, 2, 18, 30, 0), nil, nil)
	second.StartWorkers()
	second.clock.nextTimer(t)
	if got, want := second.dates(), []string{"2024-05-02"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after a restart on the same day: %v, want %v", got, want)
	}
	if n := second.startedDays(); n != 1 {
		t.Errorf("started_days has %d rows, want 1", n)
	}
	d := second.current()
	if d.Date != "2024-05-02" || d.StartedAt != "2024-05-02T10:00:00+02:00" || d.TimeZone != "Europe/Amsterdam" {
		t.Errorf("GET /api/time = %+v, want the day started at 10:00 by the first run", d)
	}
}

// TestRestartAfterMidnightEmitsTheNewDayOnce stops the timekeeper before midnight and
// starts it after: the new day is emitted once, by the start-up.
func TestRestartAfterMidnightEmitsTheNewDayOnce(t *testing.T) {
	t.Parallel()
	first := newHarness(t, "", at(t, 2024, 5, 2, 23, 0, 0), nil, nil)
	stop := first.StartWorkers()
	first.clock.nextTimer(t)
	stop()

	second := newHarness(t, first.DatabaseURL, at(t, 2024, 5, 3, 0, 5, 0), nil, nil)
	second.StartWorkers()
	second.clock.nextTimer(t)
	evs := second.dayEvents()
	if len(evs) != 2 || evs[0].date != "2024-05-02" || evs[1].date != "2024-05-03" {
		t.Fatalf("events %+v, want 2024-05-02 then 2024-05-03", evs)
	}
	if want := at(t, 2024, 5, 3, 0, 5, 0); !evs[1].occurredAt.Equal(want) {
		t.Errorf("the new day's event time %s, want the start-up time %s", evs[1].occurredAt, want)
	}
	// A third start the same day adds nothing.
	third := newHarness(t, first.DatabaseURL, at(t, 2024, 5, 3, 9, 0, 0), nil, nil)
	third.StartWorkers()
	third.clock.nextTimer(t)
	if got := third.dates(); len(got) != 2 {
		t.Errorf("after a third start: %v", got)
	}
}

// TestDowntimeOfDaysEmitsOnlyTheCurrentDay: three whole days down; on start-up only
// the current day is emitted, the missed ones are not replayed.
func TestDowntimeOfDaysEmitsOnlyTheCurrentDay(t *testing.T) {
	t.Parallel()
	first := newHarness(t, "", at(t, 2024, 5, 2, 12, 0, 0), nil, nil)
	stop := first.StartWorkers()
	first.clock.nextTimer(t)
	stop()

	second := newHarness(t, first.DatabaseURL, at(t, 2024, 5, 6, 8, 0, 0), nil, nil)
	second.StartWorkers()
	second.clock.nextTimer(t)
	if got, want := second.dates(), []string{"2024-05-02", "2024-05-06"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v (05-03, 05-04, 05-05 are not replayed)", got, want)
	}
	if got := second.current().Date; got != "2024-05-06" {
		t.Errorf("current day %s, want 2024-05-06", got)
	}
}

// TestSchedulerEmitsAtMidnight drives the fake clock to midnight: the scheduler waits
// exactly until 00:00 local time and then emits the new day, once.
func TestSchedulerEmitsAtMidnight(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 23, 59, 30), nil, nil)
	h.StartWorkers()
	r := h.clock.nextTimer(t)
	if r.d != 30*time.Second {
		t.Errorf("at 23:59:30 the scheduler waits %s, want 30s", r.d)
	}
	if got := h.dates(); !reflect.DeepEqual(got, []string{"2024-05-02"}) {
		t.Fatalf("before midnight: %v", got)
	}
	if now := h.clock.fire(r); !now.Equal(at(t, 2024, 5, 3, 0, 0, 0)) {
		t.Fatalf("fired at %s", now)
	}
	h.clock.nextTimer(t) // the midnight's work is done
	evs := h.dayEvents()
	if len(evs) != 2 || evs[1].date != "2024-05-03" {
		t.Fatalf("after midnight: %+v", evs)
	}
	if want := time.Date(2024, 5, 2, 22, 0, 0, 0, time.UTC); !evs[1].occurredAt.Equal(want) {
		t.Errorf("DayHasPassed time %s, want midnight %s", evs[1].occurredAt, want)
	}
	if d := h.current(); d.Date != "2024-05-03" || d.StartedAt != "2024-05-03T00:00:00+02:00" {
		t.Errorf("GET /api/time = %+v", d)
	}
}

// TestSchedulerWaitsAreBounded: far from midnight the scheduler still wakes up every
// minute to re-read the wall clock, and starts nothing until midnight.
func TestSchedulerWaitsAreBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 23, 57, 0), nil, nil)
	h.StartWorkers()
	var waits []time.Duration
	for {
		r := h.clock.nextTimer(t)
		waits = append(waits, r.d)
		if now := h.clock.fire(r); !now.Before(at(t, 2024, 5, 3, 0, 0, 0)) {
			break
		}
		if got := h.dates(); len(got) != 1 {
			t.Fatalf("at %s: %v", h.clock.Now(), got)
		}
	}
	if want := []time.Duration{time.Minute, time.Minute, time.Minute}; !reflect.DeepEqual(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	h.clock.nextTimer(t)
	if got := h.dates(); !reflect.DeepEqual(got, []string{"2024-05-02", "2024-05-03"}) {
		t.Errorf("after midnight: %v", got)
	}
}

// driveUntil fires the scheduler's timers, moving the clock by exactly what it asked
// for, until the clock reaches end. At every step the midnight the scheduler computed
// (its next-day gauge) must be the true next local midnight, and a wait shorter than
// the one-minute bound must end exactly there.
func driveUntil(t *testing.T, h *harness, end time.Time) {
	t.Helper()
	ams := amsterdam(t)
	for {
		r := h.clock.nextTimer(t)
		now := h.clock.Now().In(ams)
		y, m, d := now.Date()
		// Amsterdam changes its clocks at 02:00/03:00, so time.Date's midnight is exact.
		midnight := time.Date(y, m, d+1, 0, 0, 0, 0, ams)
		if got := h.gauge("pitstop_timekeeper_next_day_timestamp_seconds"); got != float64(midnight.Unix()) {
			t.Fatalf("at %s the scheduler expects the next day at %s, want %s", now,
				time.Unix(int64(got), 0).In(ams), midnight)
		}
		if r.d > ports.MaxWait || (r.d < ports.MaxWait && !now.Add(r.d).Equal(midnight)) {
			t.Fatalf("at %s the scheduler waits %s, until %s; want at most %s and not past midnight %s",
				now, r.d, now.Add(r.d), ports.MaxWait, midnight)
		}
		if !now.Before(end) {
			return
		}
		h.clock.fire(r)
	}
}

// TestSchedulerAcrossDaylightSavingChanges runs the scheduler through Amsterdam's two
// daylight-saving changes of 2024 (a 23-hour and a 25-hour day) and checks that each
// day started exactly at its local midnight.
func TestSchedulerAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	// Odd start times: the scheduler's one-minute wake-ups then never fall on a
	// midnight by themselves; only a correctly computed midnight lands on 00:00:00.
	odd := 17*time.Second + 500*time.Millisecond
	tests := []struct {
		name  string
		start time.Time
		end   time.Time
		want  []dayEvent // date and the instant it started
	}{
		{"spring forward (31 March)", at(t, 2024, 3, 30, 12, 0, 0).Add(odd), at(t, 2024, 4, 2, 6, 0, 0), []dayEvent{
			{date: "2024-03-30", occurredAt: at(t, 2024, 3, 30, 12, 0, 0).Add(odd)},
			{date: "2024-03-31", occurredAt: time.Date(2024, 3, 30, 23, 0, 0, 0, time.UTC)}, // 00:00 CET
			{date: "2024-04-01", occurredAt: time.Date(2024, 3, 31, 22, 0, 0, 0, time.UTC)}, // 00:00 CEST, 23 h later
			{date: "2024-04-02", occurredAt: time.Date(2024, 4, 1, 22, 0, 0, 0, time.UTC)},
		}},
		{"fall back (27 October)", at(t, 2024, 10, 26, 12, 0, 0).Add(odd), at(t, 2024, 10, 29, 6, 0, 0), []dayEvent{
			{date: "2024-10-26", occurredAt: at(t, 2024, 10, 26, 12, 0, 0).Add(odd)},
			{date: "2024-10-27", occurredAt: time.Date(2024, 10, 26, 22, 0, 0, 0, time.UTC)}, // 00:00 CEST
			{date: "2024-10-28", occurredAt: time.Date(2024, 10, 27, 23, 0, 0, 0, time.UTC)}, // 00:00 CET, 25 h later
			{date: "2024-10-29", occurredAt: time.Date(2024, 10, 28, 23, 0, 0, 0, time.UTC)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "", tt.start, nil, nil)
			h.StartWorkers()
			driveUntil(t, h, tt.end)
			got := h.dayEvents()
			if len(got) != len(tt.want) {
				t.Fatalf("events %+v, want %+v", got, tt.want)
			}
			for i, w := range tt.want {
				if got[i].date != w.date || !got[i].occurredAt.Equal(w.occurredAt) {
					t.Errorf("event %d: %s at %s, want %s at %s", i, got[i].date, got[i].occurredAt.UTC(),
						w.date, w.occurredAt.UTC())
				}
			}
		})
	}
}

// TestTwoReplicasRacingStartEachDayOnce runs two timekeeper replicas on one database:
// both start up at the same moment and both wake at the same midnight, yet every day is
// emitted once.
func TestTwoReplicasRacingStartEachDayOnce(t *testing.T) {
	t.Parallel()
	start := at(t, 2024, 5, 2, 23, 59, 0)
	a := newHarness(t, "", start, nil, nil)
	b := newHarness(t, a.DatabaseURL, start, nil, nil)
	a.StartWorkers()
	b.StartWorkers()
	ra, rb := a.clock.nextTimer(t), b.clock.nextTimer(t)
	if got := a.dates(); !reflect.DeepEqual(got, []string{"2024-05-02"}) {
		t.Fatalf("after both started: %v", got)
	}
	// Both wake at midnight at once.
	a.clock.fire(ra)
	b.clock.fire(rb)
	a.clock.nextTimer(t)
	b.clock.nextTimer(t)
	if got := a.dates(); !reflect.DeepEqual(got, []string{"2024-05-02", "2024-05-03"}) {
		t.Errorf("after midnight: %v", got)
	}
	if n := a.startedDays(); n != 2 {
		t.Errorf("started_days has %d rows, want 2", n)
	}
}

// TestNewUsesAmsterdamAndTheSystemClock runs New (the defaults): the scheduler starts
// today's date in Europe/Amsterdam on the real clock.
func TestNewUsesAmsterdamAndTheSystemClock(t *testing.T) {
	t.Parallel()
	h := newDefaultHarness(t)
	before := time.Now().In(amsterdam(t)).Format(time.DateOnly)
	h.StartWorkers()
	var d businessDay
	testutil.Eventually(t, 10*time.Second, func() bool {
		res := h.Do(http.MethodGet, "/api/time", nil)
		if res.Status != http.StatusOK {
			return false
		}
		res.JSON(t, &d)
		return true
	}, "the business day started")
	after := time.Now().In(amsterdam(t)).Format(time.DateOnly)
	if d.Date != before && d.Date != after {
		t.Errorf("started %s, want today in Amsterdam (%s)", d.Date, before)
	}
	if d.TimeZone != "Europe/Amsterdam" {
		t.Errorf("time zone %q", d.TimeZone)
	}
	started, err := time.Parse(time.RFC3339Nano, d.StartedAt)
	if err != nil || time.Since(started) > time.Minute || time.Since(started) < 0 {
		t.Errorf("startedAt %q (%v) is not now", d.StartedAt, err)
	}
}
