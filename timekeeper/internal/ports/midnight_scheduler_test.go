package ports_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/timekeeper/internal/application"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
	"github.com/pitstop/pitstop/timekeeper/internal/ports"
)

// fakeStarter is a DayStarter whose calls the test scripts: each call fails with the
// next error of errs (while there are any), otherwise "starts" today on the clock, or
// reports day when set.
type fakeStarter struct {
	mu    sync.Mutex
	now   func() time.Time
	loc   *time.Location
	errs  []error
	day   domain.Date // when set, the current day reported (a later day already started)
	calls int
	actor string // of the last call's context
}

func (f *fakeStarter) Handle(ctx context.Context) (application.StartCurrentDayResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.actor = events.ActorFrom(ctx)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return application.StartCurrentDayResult{}, err
	}
	d := f.day
	if d.IsZero() {
		d = domain.DateOf(f.now(), f.loc)
	}
	cal := domain.RehydrateCalendar(d, f.now())
	day, _ := cal.Current()
	return application.StartCurrentDayResult{Day: day, Started: f.day.IsZero()}, nil
}

func (f *fakeStarter) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type wait struct {
	d    time.Duration
	fire chan time.Time
}

// clock is a fake clock and timer; see the component tests' fakeTime.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan wait
	stop  chan struct{}
}

func newClock(t *testing.T, now time.Time) *clock {
	c := &clock{now: now, waits: make(chan wait, 16), stop: make(chan struct{})}
	t.Cleanup(func() { close(c.stop) })
	return c
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	w := wait{d: d, fire: make(chan time.Time, 1)}
	select {
	case c.waits <- w:
	case <-c.stop:
	}
	return w.fire
}

func (c *clock) next(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not wait")
		return wait{}
	}
}

func (c *clock) fire(w wait) {
	c.mu.Lock()
	c.now = c.now.Add(w.d)
	now := c.now
	c.mu.Unlock()
	w.fire <- now
}

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// run starts the scheduler; the returned function cancels it and returns Run's result.
func run(t *testing.T, s *ports.MidnightScheduler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after its context was cancelled")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	})
	return stop
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestSchedulerRetriesWithBackOff: a failing start (database down) is retried after
// 1s, 2s, 4s ... at most 30s, never fatal; after a success the back-off starts over.
func TestSchedulerRetriesWithBackOff(t *testing.T) {
	t.Parallel()
	loc := amsterdam(t)
	c := newClock(t, time.Date(2024, 5, 2, 12, 0, 0, 0, loc))
	down := errors.New("database down")
	starter := &fakeStarter{now: c.Now, loc: loc, errs: []error{down, down, down, down, down, down, down}}
	reg := prometheus.NewRegistry()
	s := ports.NewMidnightScheduler(starter, c.Now, c.After, loc, testutil.Logger(t), ports.NewMetrics(reg))
	stop := run(t, s)

	var got []time.Duration
	for range 8 {
		w := c.next(t)
		got = append(got, w.d)
		c.fire(w)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		30 * time.Second, 30 * time.Second, time.Minute}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if n := starter.callCount(); n != 8 {
		t.Errorf("%d start attempts, want 8", n)
	}
	starter.mu.Lock()
	if starter.actor != ports.SystemActor { // the events of a day started at midnight name the system
		t.Errorf("actor %q, want %q", starter.actor, ports.SystemActor)
	}
	starter.mu.Unlock()
	if n := counter(t, reg, "pitstop_timekeeper_scheduler_failures_total"); n != 7 {
		t.Errorf("failures counted %v, want 7", n)
	}
	if n := counter(t, reg, "pitstop_timekeeper_day_has_passed_total"); n != 1 {
		t.Errorf("days started counted %v, want 1", n)
	}

	// Fail again at the next midnight: the back-off starts at one second again.
	c.mu.Lock()
	c.now = time.Date(2024, 5, 2, 23, 59, 0, 0, loc)
	c.mu.Unlock()
	starter.mu.Lock()
	starter.errs = []error{down}
	starter.mu.Unlock()
	c.fire(c.next(t)) // 00:00 on 05-03: fails
	if w := c.next(t); w.d != time.Second {
		t.Errorf("first retry after a success waits %s, want 1s", w.d)
	}
	if err := stop(); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

// TestSchedulerStopsWhileWaiting: cancelling the context ends a wait at once.
func TestSchedulerStopsWhileWaiting(t *testing.T) {
	t.Parallel()
	loc := amsterdam(t)
	c := newClock(t, time.Date(2024, 5, 2, 12, 0, 0, 0, loc))
	starter := &fakeStarter{now: c.Now, loc: loc}
	stop := run(t, ports.NewMidnightScheduler(starter, c.Now, c.After, loc, testutil.Logger(t), nil))
	c.next(t) // waiting, never fired
	if err := stop(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestSchedulerStopsWhileFailing: a start that fails because the context was cancelled
// ends Run with nil, without a retry.
func TestSchedulerStopsWhileFailing(t *testing.T) {
	t.Parallel()
	loc := amsterdam(t)
	c := newClock(t, time.Date(2024, 5, 2, 12, 0, 0, 0, loc))
	ctx, cancel := context.WithCancel(context.Background())
	starter := &cancellingStarter{cancel: cancel}
	s := ports.NewMidnightScheduler(starter, c.Now, c.After, loc, testutil.Logger(t), nil)
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	select {
	case w := <-c.waits:
		t.Errorf("the scheduler waited %s after its context was cancelled", w.d)
	default:
	}
}

type cancellingStarter struct{ cancel context.CancelFunc }

func (s *cancellingStarter) Handle(ctx context.Context) (application.StartCurrentDayResult, error) {
	s.cancel()
	return application.StartCurrentDayResult{}, ctx.Err()
}

// TestSchedulerSkipsDaysAlreadyStarted: when a later day than today is current
// (started through the API), the scheduler does not even ask until the real date
// passes it.
func TestSchedulerSkipsDaysAlreadyStarted(t *testing.T) {
	t.Parallel()
	loc := amsterdam(t)
	c := newClock(t, time.Date(2024, 5, 2, 23, 59, 0, 0, loc))
	later, err := domain.NewDate(2024, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	starter := &fakeStarter{now: c.Now, loc: loc, day: later}
	run(t, ports.NewMidnightScheduler(starter, c.Now, c.After, loc, testutil.Logger(t), nil))
	// Drive to 05-04 23:59 (the midnights of 05-03 and 05-04 pass).
	for c.Now().Before(time.Date(2024, 5, 4, 23, 59, 0, 0, loc)) {
		c.fire(c.next(t))
	}
	w := c.next(t)
	if n := starter.callCount(); n != 1 {
		t.Errorf("%d calls before the real date passed 05-04, want 1 (the start-up)", n)
	}
	c.fire(w) // 05-05 00:00
	c.next(t)
	if n := starter.callCount(); n != 2 {
		t.Errorf("%d calls after 05-05 began, want 2", n)
	}
}
