package timekeeper_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
	"github.com/pitstop/pitstop/timekeeper"
)

const maxBody = servicetest.MaxBody

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at is a wall-clock time in Amsterdam.
func at(t testing.TB, y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, amsterdam(t))
}

// timerRequest is one wait the scheduler asked for; the test fires it.
type timerRequest struct {
	d    time.Duration
	fire chan time.Time
}

// fakeTime is the test's clock and timer: time moves only when the test says so, and
// the scheduler's waits end only when the test fires them. Because the scheduler asks
// for its next wait only after it has finished its work, receiving a timer request is
// the signal that everything before it (start-up, a midnight) is done.
type fakeTime struct {
	mu       sync.Mutex
	now      time.Time
	requests chan timerRequest
	stop     chan struct{}
}

func newFakeTime(t testing.TB, now time.Time) *fakeTime {
	f := &fakeTime{now: now, requests: make(chan timerRequest, 16), stop: make(chan struct{})}
	t.Cleanup(func() { close(f.stop) })
	return f
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Set(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// After implements Options.After.
func (f *fakeTime) After(d time.Duration) <-chan time.Time {
	r := timerRequest{d: d, fire: make(chan time.Time, 1)}
	select {
	case f.requests <- r:
	case <-f.stop:
	}
	return r.fire
}

// nextTimer returns the scheduler's next wait: by then it has finished its work.
func (f *fakeTime) nextTimer(t testing.TB) timerRequest {
	t.Helper()
	select {
	case r := <-f.requests:
		if r.d <= 0 {
			t.Fatalf("scheduler asked to wait %s", r.d)
		}
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the scheduler did not ask for a timer")
		return timerRequest{}
	}
}

// fire lets the requested duration pass on the clock and ends the wait.
func (f *fakeTime) fire(r timerRequest) time.Time {
	f.mu.Lock()
	f.now = f.now.Add(r.d)
	now := f.now
	f.mu.Unlock()
	r.fire <- now
	return now
}

// harness is one timekeeper replica on a database, with a fake clock, its HTTP API in
// an httptest server (every exchange validated against
// serviceapis/openapi/timekeeper.yaml), and its scheduler started on demand
// (StartWorkers).
type harness struct {
	*servicetest.Service
	clock *fakeTime
}

// newHarness starts a timekeeper replica on dbURL (a fresh one if empty) whose clock
// reads now. nc and js may be nil for tests that do not touch NATS.
func newHarness(t testing.TB, dbURL string, now time.Time, nc *nats.Conn, js jetstream.JetStream) *harness {
	t.Helper()
	clock := newFakeTime(t, now)
	s := servicetest.Start(t, servicetest.Options{Name: "timekeeper", Schema: timekeeper.Schema, DatabaseURL: dbURL,
		NC: nc, JS: js, Build: func(ctx context.Context, d app.Deps) (app.Module, error) {
			return timekeeper.NewWithOptions(ctx, d, timekeeper.Options{Location: amsterdam(t), Now: clock.Now, After: clock.After})
		}})
	return &harness{Service: s, clock: clock}
}

// newDefaultHarness is a harness running timekeeper.New: the default zone, the system
// clock and real timers (its clock field is unused).
func newDefaultHarness(t testing.TB) *harness {
	t.Helper()
	return &harness{Service: servicetest.Start(t, servicetest.Options{Name: "timekeeper", Schema: timekeeper.Schema,
		Build: timekeeper.New})}
}

// dayEvent is one DayHasPassed row of the outbox.
type dayEvent struct {
	date       string
	occurredAt time.Time
	eventID    string
}

// dayEvents returns the outbox's DayHasPassed events in outbox order, checking that
// every row of the outbox is one with the contract's type, source, subject and body.
func (h *harness) dayEvents() []dayEvent {
	h.T.Helper()
	var out []dayEvent
	for _, r := range h.OutboxRows() {
		var body timekeeperevents.DayHasPassed
		if err := json.Unmarshal(r.Payload, &body); err != nil {
			h.T.Fatalf("outbox payload %s: %v", r.Payload, err)
		}
		if r.EventType != timekeeperevents.SubjectDayHasPassed || r.Source != timekeeperevents.Source || r.Subject != body.Date {
			h.T.Errorf("outbox row type %q source %q subject %q body %s", r.EventType, r.Source, r.Subject, r.Payload)
		}
		out = append(out, dayEvent{date: body.Date, occurredAt: r.OccurredAt, eventID: r.EventID})
	}
	return out
}

// dates returns the dates of the outbox's DayHasPassed events in outbox order.
func (h *harness) dates() []string {
	h.T.Helper()
	var ds []string
	for _, e := range h.dayEvents() {
		ds = append(ds, e.date)
	}
	return ds
}

// startedDays counts the rows of the started_days history.
func (h *harness) startedDays() int {
	h.T.Helper()
	return h.Count("started_days", "")
}

// businessDay is the API's business day representation.
type businessDay struct {
	Date      string `json:"date"`
	StartedAt string `json:"startedAt"`
	TimeZone  string `json:"timeZone"`
}

// current GETs /api/time and requires a 200.
func (h *harness) current() businessDay {
	h.T.Helper()
	res := h.Do(http.MethodGet, "/api/time", nil)
	if res.Status != http.StatusOK {
		h.T.Fatalf("GET /api/time: %d %s", res.Status, res.Body)
	}
	var d businessDay
	res.JSON(h.T, &d)
	return d
}

// gauge reads the value of the unlabelled gauge name from the harness's registry.
func (h *harness) gauge(name string) float64 {
	h.T.Helper()
	v, ok := h.MetricFound(name)
	if !ok {
		h.T.Fatalf("no gauge %s", name)
	}
	return v
}
