// Package servicetest runs one context module the way a component test needs it: on a
// fresh Postgres database, optionally over an in-process JetStream server, with its real
// HTTP handler on an httptest server and its workers running. Every HTTP exchange goes
// through a client that validates it against the service's OpenAPI document.
//
// It replaces the per-context harnesses: a context's tests keep only what is really
// theirs (their API representations, their events, their assertions).
package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// MaxBody is the request body limit of the service's handler (the services' default).
const MaxBody = 64 << 10

// DefaultWait bounds every poll for an asynchronous effect unless Options.Wait says
// otherwise.
const DefaultWait = 20 * time.Second

// Options say which module to start and over what.
type Options struct {
	// Name is the service name: the handler's name, the OpenAPI document the exchanges
	// are validated against and the default consumer name (required).
	Name string
	// Schema is the module's Postgres schema (required).
	Schema string
	// Build migrates the schema and builds the module (required), such as customers.New.
	Build app.Builder
	// DatabaseURL is the database to run on; empty for a fresh one (dropped when the
	// test ends). Replicas of one service share a URL.
	DatabaseURL string
	// JetStream starts an in-process JetStream server for this service and declares the
	// streams, as the deployment does.
	JetStream bool
	// NC and JS, when JetStream is false, are an existing connection to use (nil for a
	// service that does not touch NATS).
	NC *nats.Conn
	JS jetstream.JetStream
	// Workers starts the module's workers (consumers, dispatchers, schedulers) at once;
	// otherwise StartWorkers does on demand.
	Workers bool
	// Consumer is the inbox key WaitProcessed looks for (default Name).
	Consumer string
	// Wait bounds WaitProcessed and WaitHandled (default DefaultWait).
	Wait time.Duration
	// NoOpenAPI sends the exchanges unvalidated (for a module without a document).
	NoOpenAPI bool
}

// Service is a running module. Its fields are for the tests that need to reach past the
// HTTP API (the pool to inspect tables, the handler to drive it in-process, the
// connection to publish raw messages).
type Service struct {
	T           testing.TB
	Name        string
	Schema      string
	DatabaseURL string
	Pool        *pgxpool.Pool
	Deps        app.Deps
	Module      app.Module
	Handler     http.Handler
	Server      *httptest.Server
	// NATS is the in-process server when Options.JetStream started one.
	NATS     *testutil.NATSServer
	NC       *nats.Conn
	JS       jetstream.JetStream
	Registry *prometheus.Registry

	consumer  string
	wait      time.Duration
	client    *http.Client
	noOpenAPI bool
	life      *lifecycle
}

// lifecycle is what stops a Service; For's copies share it.
type lifecycle struct {
	once    sync.Once
	workers func() // stops the workers; nil until StartWorkers
}

// Start builds the module of o and serves its handler until the test ends. Clean-ups
// run in reverse: the workers stop first, then the server, the pool and the database.
func Start(t testing.TB, o Options) *Service {
	t.Helper()
	ctx := context.Background()
	s := &Service{T: t, Name: o.Name, Schema: o.Schema, DatabaseURL: o.DatabaseURL, NC: o.NC, JS: o.JS,
		consumer: o.Consumer, wait: o.Wait, Registry: prometheus.NewRegistry(), life: &lifecycle{}}
	if s.consumer == "" {
		s.consumer = o.Name
	}
	if s.wait == 0 {
		s.wait = DefaultWait
	}
	if s.DatabaseURL == "" {
		s.DatabaseURL = testutil.Database(t)
	}
	if o.JetStream {
		s.NATS = testutil.StartNATS(t)
		s.NC, s.JS = s.NATS.Connect(t)
		if err := messaging.EnsureStreams(ctx, s.JS); err != nil {
			t.Fatal(err)
		}
	}
	s.Pool = testutil.Pool(t, s.DatabaseURL, o.Schema)
	s.Deps = app.Deps{Pool: s.Pool, NC: s.NC, JS: s.JS, Log: testutil.Logger(t), Registry: s.Registry,
		Verifier: testutil.Verifier()}
	m, err := o.Build(ctx, s.Deps)
	if err != nil {
		t.Fatalf("build %s: %v", o.Name, err)
	}
	s.Module = m
	s.Handler = app.Handler(o.Name, s.Deps, MaxBody, m)
	s.Server = httptest.NewServer(s.Handler)
	t.Cleanup(s.Server.Close)
	s.noOpenAPI = o.NoOpenAPI
	s.client = s.newClient(t)
	if o.Workers {
		s.StartWorkers()
	}
	return s
}

// For is s reporting its failures to t: for subtests and fuzz functions, which must not
// fail the test that started the service. It shares everything else with s.
func (s *Service) For(t testing.TB) *Service {
	c := *s
	c.T = t
	if !c.noOpenAPI {
		c.client = c.newClient(t)
	}
	return &c
}

// newClient is the client exchanges go through: validated against the OpenAPI document
// (unless NoOpenAPI), and carrying an administrator's token unless a request sets its
// own Authorization header (testutil.NoToken: none at all).
func (s *Service) newClient(t testing.TB) *http.Client {
	base := s.Server.Client()
	if !s.noOpenAPI {
		base = openapitest.Client(t, s.Name)
	}
	c := *base
	c.Transport = testutil.TokenTransport{Base: base.Transport, Token: testutil.Token(t, auth.Administrator)}
	return &c
}

// As returns headers that make a Do, Get or Try act with a token of role (append
// more header pairs after them).
func As(t testing.TB, role auth.Role) []string {
	return []string{"Authorization", "Bearer " + testutil.Token(t, role)}
}

// URL is the base URL of the service's HTTP server.
func (s *Service) URL() string { return s.Server.URL }

// Client is the HTTP client the service's exchanges go through: it validates each one
// against the OpenAPI document (mismatches are reported with t.Errorf, safe from any
// goroutine).
func (s *Service) Client() *http.Client { return s.client }

// StartWorkers runs the module's workers until the returned stop is called or the test
// ends (registered last, so that it runs before the pool closes and the database is
// dropped). stop cancels them and requires each to return nil within 10 seconds; it is
// idempotent.
func (s *Service) StartWorkers() (stop func()) {
	s.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	workers := s.Module.Workers()
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
						s.T.Errorf("%s worker: %v", s.Name, err)
					}
				case <-time.After(10 * time.Second):
					s.T.Errorf("%s worker did not stop when its context was cancelled", s.Name)
				}
			}
		})
	}
	s.life.workers = stop
	s.T.Cleanup(stop)
	return stop
}

// Stop stops the service as a process exit would: its workers, then its HTTP server.
// It is idempotent (and also runs when the test ends).
func (s *Service) Stop() {
	s.life.once.Do(func() {
		if s.life.workers != nil {
			s.life.workers()
		}
		s.Server.Close()
	})
}

// Response is a completed HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing t if it is not JSON of v's shape.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem requires r to be a problem document (application/problem+json) with status,
// both as the HTTP status and as its status member, and returns it with its field
// errors. A wrong HTTP status stops the test; the rest is reported and checking goes on.
func (r Response) Problem(t testing.TB, status int) problem.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("content type = %q, want %q", ct, problem.ContentType)
	}
	var p problem.Problem
	r.JSON(t, &p)
	if p.Status != status {
		t.Errorf("problem status = %d, want %d", p.Status, status)
	}
	return p
}

// Fields returns the sorted field names of p's field errors (empty, not nil, if none).
func Fields(p problem.Problem) []string {
	fs := []string{}
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	sort.Strings(fs)
	return fs
}

// WantFields requires p's field errors to name exactly want, in any order.
func WantFields(t testing.TB, p problem.Problem, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if got := Fields(p); !slices.Equal(got, want) {
		t.Errorf("problem fields = %v, want %v (%+v)", got, want, p.Errors)
	}
}

// Do sends a request to the service and returns the completed exchange, failing the
// test if it cannot be sent. body is nil for none, a string or []byte sent as is, an
// io.Reader streamed, anything else encoded as JSON; a body is sent with a JSON content
// type unless headers (name, value pairs) override it.
func (s *Service) Do(method, path string, body any, headers ...string) Response {
	s.T.Helper()
	res, err := s.Try(method, path, body, headers...)
	if err != nil {
		s.T.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// Get is Do of a GET without a body.
func (s *Service) Get(path string) Response {
	s.T.Helper()
	return s.Do(http.MethodGet, path, nil)
}

// Try is Do returning the error instead of failing the test: it is safe to call from
// goroutines other than the test's.
func (s *Service) Try(method, path string, body any, headers ...string) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.Server.URL+path, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: data}, nil
}

// Count is the number of rows of table (in the service's schema) that satisfy where (a
// SQL condition over args, or "" for every row).
func (s *Service) Count(table, where string, args ...any) int {
	s.T.Helper()
	q := "SELECT count(*) FROM " + pgx.Identifier{s.Schema, table}.Sanitize()
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := s.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		s.T.Fatalf("%s: %v", q, err)
	}
	return n
}

// QueryInt runs a query that returns one integer (a count, a maximum) on the service's
// database (its schema first on the search path).
func (s *Service) QueryInt(sql string, args ...any) int {
	s.T.Helper()
	var n int
	if err := s.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		s.T.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Metric is the value of the counter, gauge or untyped metric name in the service's
// registry, summed over its series that carry every label of labels (name, value
// pairs); 0 if there is none.
func (s *Service) Metric(name string, labels ...string) float64 {
	s.T.Helper()
	v, _ := s.MetricFound(name, labels...)
	return v
}

// MetricFound is Metric also reporting whether any series matched.
func (s *Service) MetricFound(name string, labels ...string) (float64, bool) {
	s.T.Helper()
	if len(labels)%2 != 0 {
		s.T.Fatalf("metric %s: labels %v are not name, value pairs", name, labels)
	}
	mfs, err := s.Registry.Gather()
	if err != nil {
		s.T.Fatal(err)
	}
	var (
		v     float64
		found bool
	)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				if !hasLabel(m.GetLabel(), labels[i], labels[i+1]) {
					continue series
				}
			}
			found = true
			switch {
			case m.GetCounter() != nil:
				v += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				v += m.GetGauge().GetValue()
			case m.GetUntyped() != nil:
				v += m.GetUntyped().GetValue()
			default:
				s.T.Fatalf("metric %s is neither a counter, a gauge nor untyped", name)
			}
		}
	}
	return v, found
}

func hasLabel(ls []*dto.LabelPair, name, value string) bool {
	for _, l := range ls {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// Publish sends ev to JetStream as a relay would (events.Envelope.Msg); a non-empty
// msgID replaces its Nats-Msg-Id, so that a second copy is not dropped by the stream's
// duplicate window. It returns ev.
func (s *Service) Publish(ev events.Envelope, msgID ...string) events.Envelope {
	s.T.Helper()
	m := ev.Msg()
	if len(msgID) > 0 && msgID[0] != "" {
		m.Header.Set(events.HeaderMsgID, msgID[0])
	}
	s.PublishMsg(m)
	return ev
}

// PublishMsg sends a raw message, however malformed.
func (s *Service) PublishMsg(m *nats.Msg) {
	s.T.Helper()
	if s.JS == nil {
		s.T.Fatalf("publish %s: the service has no JetStream", m.Subject)
	}
	if _, err := s.JS.PublishMsg(context.Background(), m); err != nil {
		s.T.Fatalf("publish %s: %v", m.Subject, err)
	}
}

// Event wraps p in a fresh envelope from source stamped at.
func Event(t testing.TB, source string, p events.Payload, at time.Time) events.Envelope {
	t.Helper()
	ev, err := events.New(source, p, at)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// WaitProcessed waits, one event after the other, until each of evs is in the
// consumer's inbox: its effect is committed (the inbox row and the effect share the
// transaction).
func (s *Service) WaitProcessed(evs ...events.Envelope) {
	s.T.Helper()
	for _, ev := range evs {
		testutil.Eventually(s.T, s.wait, func() bool {
			return s.Count("inbox", "consumer = $1 AND event_id = $2", s.consumer, ev.ID) == 1
		}, "event %s (%s) was never processed", ev.ID, ev.Type)
	}
}

// WaitHandled waits until the consumer either committed or dead-lettered every event
// of evs.
func (s *Service) WaitHandled(evs ...events.Envelope) {
	s.T.Helper()
	ids := make([]string, len(evs))
	for k, ev := range evs {
		ids[k] = ev.ID.String()
	}
	testutil.Eventually(s.T, s.wait, func() bool {
		return s.Count("inbox", "consumer = $1 AND event_id::text = ANY($2)", s.consumer, ids)+
			s.Count("consumer_dead_letter", "consumer = $1 AND event_id = ANY($2)", s.consumer, ids) == len(ids)
	}, "consumer to handle %d events", len(ids))
}

// OutboxRow is one row of the service's outbox.
type OutboxRow struct {
	EventID, EventType, Source, Subject string
	OccurredAt                          time.Time
	Payload                             []byte
}

// OutboxRows returns the rows of the service's outbox in outbox order.
func (s *Service) OutboxRows() []OutboxRow {
	s.T.Helper()
	rows, err := s.Pool.Query(context.Background(),
		`SELECT event_id::text, event_type, source, subject, occurred_at, payload FROM `+
			pgx.Identifier{s.Schema, "outbox"}.Sanitize()+` ORDER BY id`)
	if err != nil {
		s.T.Fatal(err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		if err := rows.Scan(&r.EventID, &r.EventType, &r.Source, &r.Subject, &r.OccurredAt, &r.Payload); err != nil {
			s.T.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		s.T.Fatal(err)
	}
	return out
}
