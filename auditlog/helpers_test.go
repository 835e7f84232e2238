package auditlog_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const (
	maxBody = 64 << 10
	// wait bounds every poll for the consumer to catch up.
	wait = 20 * time.Second
)

// harness is one auditlog service (HTTP API and consumer) on its own fresh database
// and its own in-process JetStream server.
type harness struct {
	t    testing.TB
	pool *pgxpool.Pool
	js   jetstream.JetStream
	reg  *prometheus.Registry
	// handler is the service's HTTP handler, for driving it in-process.
	handler http.Handler
	srv     *httptest.Server
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	nc, js := testutil.StartNATS(t).Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	pool := testutil.Pool(t, testutil.Database(t), auditlog.Schema)
	reg := prometheus.NewRegistry()
	deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(t), Registry: reg}
	m, err := auditlog.New(ctx, deps)
	if err != nil {
		t.Fatal(err)
	}
	handler := app.Handler("auditlog", deps, maxBody, m)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	// Registered last, so it runs first: the workers stop before the pool closes and
	// the database is dropped.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, len(m.Workers()))
	for _, w := range m.Workers() {
		go func() { done <- w(wctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range m.Workers() {
			if err := <-done; err != nil {
				t.Errorf("worker: %v", err)
			}
		}
	})
	return &harness{t: t, pool: pool, js: js, reg: reg, handler: handler, srv: srv}
}

// publish sends ev to JetStream as a relay would; msgID, when given, replaces the
// Nats-Msg-Id so that a second copy bypasses the stream's duplicate window.
func (h *harness) publish(ev events.Envelope, msgID ...string) {
	h.t.Helper()
	m := ev.Msg()
	if len(msgID) > 0 {
		m.Header.Set(events.HeaderMsgID, msgID[0])
	}
	h.publishMsg(m)
}

// publishMsg sends a raw message, however malformed.
func (h *harness) publishMsg(m *nats.Msg) {
	h.t.Helper()
	if _, err := h.js.PublishMsg(context.Background(), m); err != nil {
		h.t.Fatalf("publish %s: %v", m.Subject, err)
	}
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

// get GETs path through a client that validates the exchange against the auditlog's
// OpenAPI document (serviceapis/openapi/auditlog.yaml).
func (h *harness) get(path string) response {
	h.t.Helper()
	res, err := openapitest.Client(h.t, "auditlog").Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// entryJSON is the API's audit entry representation.
type entryJSON struct {
	EventID    string          `json:"eventId"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Data       json.RawMessage `json:"data"`
	RecordedAt string          `json:"recordedAt"`
}

type listJSON struct {
	Items []entryJSON `json:"items"`
	Next  *string     `json:"next"`
}

// list GETs one page with query q and requires a 200.
func (h *harness) list(q url.Values) listJSON {
	h.t.Helper()
	res := h.get("/api/auditlog?" + q.Encode())
	if res.status != http.StatusOK {
		h.t.Fatalf("list %s: %d %s", q.Encode(), res.status, res.body)
	}
	var l listJSON
	res.json(h.t, &l)
	if l.Items == nil {
		h.t.Fatalf("list %s: items is not an array: %s", q.Encode(), res.body)
	}
	return l
}

// listAll follows the cursors from the first page of q to the last; it fails on a
// page loop.
func (h *harness) listAll(q url.Values) (items []entryJSON, pages int) {
	h.t.Helper()
	q = cloneValues(q)
	for pages = 1; pages < 1000; pages++ {
		l := h.list(q)
		items = append(items, l.Items...)
		if l.Next == nil {
			return items, pages
		}
		if *l.Next == "" {
			h.t.Fatal("next is present but empty")
		}
		q.Set("cursor", *l.Next)
	}
	h.t.Fatal("more than 1000 pages")
	return nil, 0
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// entry GETs one entry, reporting whether it exists.
func (h *harness) entry(id uuid.UUID) (entryJSON, bool) {
	h.t.Helper()
	res := h.get("/api/auditlog/" + id.String())
	switch res.status {
	case http.StatusOK:
		var e entryJSON
		res.json(h.t, &e)
		return e, true
	case http.StatusNotFound:
		return entryJSON{}, false
	default:
		h.t.Fatalf("get entry %s: %d %s", id, res.status, res.body)
		return entryJSON{}, false
	}
}

// waitFor polls the API until every event is in the audit log.
func (h *harness) waitFor(evs ...events.Envelope) {
	h.t.Helper()
	for _, ev := range evs {
		testutil.Eventually(h.t, wait, func() bool { _, ok := h.entry(ev.ID); return ok },
			"event %s (%s) never appeared in the audit log", ev.ID, ev.Type)
	}
}

// count runs a counting query on the auditlog schema.
func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// metric is the value of a consumer counter.
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// newEvent wraps p in a fresh envelope at now.
func newEvent(t testing.TB, source string, p events.Payload, now time.Time) events.Envelope {
	t.Helper()
	ev, err := events.New(source, p, now)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// customerRegistered is a CustomerRegistered event of a new customer named name.
func customerRegistered(t testing.TB, name string) events.Envelope {
	t.Helper()
	return newEvent(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customerevents.Customer{
		CustomerID: uuid.NewString(), Name: name, Address: "Kerkstraat 1", PostalCode: "1234 AB", City: "Amsterdam",
		TelephoneNumber: "+31 6 12345678", EmailAddress: "lisa@example.com",
	}}, time.Now())
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("decode %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// checkEntry requires e to be ev as published.
func checkEntry(t testing.TB, e entryJSON, ev events.Envelope) {
	t.Helper()
	want := entryJSON{EventID: ev.ID.String(), Type: ev.Type, Subject: ev.Subject, Source: ev.Source,
		Time: ev.Time.Format(time.RFC3339Nano)}
	got := e
	got.Data, got.RecordedAt = nil, ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry = %+v, want %+v", got, want)
	}
	if !jsonEqual(t, e.Data, ev.Data) {
		t.Errorf("entry %s data = %s, want %s", ev.ID, e.Data, ev.Data)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.RecordedAt); err != nil {
		t.Errorf("recordedAt %q: %v", e.RecordedAt, err)
	}
}

// ids are the event ids of items, in order.
func ids(items []entryJSON) []string {
	out := make([]string, 0, len(items))
	for _, e := range items {
		out = append(out, e.EventID)
	}
	return out
}

// envIDs are the event ids of evs, in order.
func envIDs(evs ...events.Envelope) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.ID.String())
	}
	return out
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

// fieldsOf returns the sorted field names of a problem's errors.
func fieldsOf(p problem.Problem) []string {
	fs := []string{}
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	sort.Strings(fs)
	return fs
}
