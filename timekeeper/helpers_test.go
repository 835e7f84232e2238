package timekeeper_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/timekeeper"
)

const maxBody = 64 << 10

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
// an httptest server, and its scheduler started on demand.
type harness struct {
	t     testing.TB
	url   string
	pool  *pgxpool.Pool
	deps  app.Deps
	mod   app.Module
	srv   *httptest.Server
	clock *fakeTime
}

// newHarness starts a timekeeper replica on dbURL (a fresh one if empty) whose clock
// reads now. nc and js may be nil for tests that do not touch NATS.
func newHarness(t testing.TB, dbURL string, now time.Time, nc *nats.Conn, js jetstream.JetStream) *harness {
	t.Helper()
	if dbURL == "" {
		dbURL = testutil.Database(t)
	}
	pool := testutil.Pool(t, dbURL, timekeeper.Schema)
	deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(t), Registry: prometheus.NewRegistry()}
	clock := newFakeTime(t, now)
	m, err := timekeeper.NewWithOptions(context.Background(), deps,
		timekeeper.Options{Location: amsterdam(t), Now: clock.Now, After: clock.After})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler("timekeeper", deps, maxBody, m))
	t.Cleanup(srv.Close)
	return &harness{t: t, url: dbURL, pool: pool, deps: deps, mod: m, srv: srv, clock: clock}
}

// startWorkers runs the module's workers (the scheduler) until the returned stop is
// called (or the test ends); stop checks that each returned nil promptly.
func (h *harness) startWorkers() (stop func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	workers := h.mod.Workers()
	done := make(chan error, len(workers))
	for _, w := range workers {
		go func() { done <- w(ctx) }()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			for range workers {
				select {
				case err := <-done:
					if err != nil {
						h.t.Errorf("worker returned %v", err)
					}
				case <-time.After(10 * time.Second):
					h.t.Errorf("worker did not stop when its context was cancelled")
				}
			}
		})
	}
	h.t.Cleanup(stop)
	return stop
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
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(),
		`SELECT event_id::text, event_type, source, subject, occurred_at, payload FROM outbox ORDER BY id`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []dayEvent
	for rows.Next() {
		var (
			e                    dayEvent
			typ, source, subject string
			payload              []byte
		)
		if err := rows.Scan(&e.eventID, &typ, &source, &subject, &e.occurredAt, &payload); err != nil {
			h.t.Fatal(err)
		}
		var body timekeeperevents.DayHasPassed
		if err := json.Unmarshal(payload, &body); err != nil {
			h.t.Fatalf("outbox payload %s: %v", payload, err)
		}
		if typ != timekeeperevents.SubjectDayHasPassed || source != timekeeperevents.Source || subject != body.Date {
			h.t.Errorf("outbox row type %q source %q subject %q body %s", typ, source, subject, payload)
		}
		e.date = body.Date
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// dates returns the dates of the outbox's DayHasPassed events in outbox order.
func (h *harness) dates() []string {
	h.t.Helper()
	var ds []string
	for _, e := range h.dayEvents() {
		ds = append(ds, e.date)
	}
	return ds
}

// startedDays counts the rows of the started_days history.
func (h *harness) startedDays() int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM started_days`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// response is a completed HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// request sends body (nil for none) to the harness's API.
func (h *harness) request(method, path, body string, headers ...string) response {
	h.t.Helper()
	res, err := do(openapitest.Client(h.t, "timekeeper"), h.srv, method, path, body, headers...)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// do is request without a testing.TB, for use from other goroutines.
// client validates every exchange against serviceapis/openapi/timekeeper.yaml.
func do(client *http.Client, srv *httptest.Server, method, path, body string, headers ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, header: res.Header, body: data}, nil
}

// businessDay is the API's business day representation.
type businessDay struct {
	Date      string `json:"date"`
	StartedAt string `json:"startedAt"`
	TimeZone  string `json:"timeZone"`
}

// current GETs /api/time and requires a 200.
func (h *harness) current() businessDay {
	h.t.Helper()
	res := h.request(http.MethodGet, "/api/time", "")
	if res.status != http.StatusOK {
		h.t.Fatalf("GET /api/time: %d %s", res.status, res.body)
	}
	var d businessDay
	res.json(h.t, &d)
	return d
}

// problemOf checks that res is a problem document with status and returns it.
func problemOf(t testing.TB, res response, status int) problem.Problem {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("content type = %q, want %q", ct, problem.ContentType)
	}
	var p problem.Problem
	res.json(t, &p)
	if p.Status != status {
		t.Errorf("problem status = %d, want %d", p.Status, status)
	}
	return p
}

// newDefaultHarness is a harness running timekeeper.New: the default zone, the system
// clock and real timers (its clock field is unused).
func newDefaultHarness(t testing.TB) *harness {
	t.Helper()
	dbURL := testutil.Database(t)
	pool := testutil.Pool(t, dbURL, timekeeper.Schema)
	deps := app.Deps{Pool: pool, Log: testutil.Logger(t), Registry: prometheus.NewRegistry()}
	m, err := timekeeper.New(context.Background(), deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler("timekeeper", deps, maxBody, m))
	t.Cleanup(srv.Close)
	return &harness{t: t, url: dbURL, pool: pool, deps: deps, mod: m, srv: srv}
}

// gauge reads the value of the unlabelled gauge name from the harness's registry.
func (h *harness) gauge(name string) float64 {
	h.t.Helper()
	mfs, err := h.deps.Registry.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	h.t.Fatalf("no gauge %s", name)
	return 0
}
