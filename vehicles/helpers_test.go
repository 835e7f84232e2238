package vehicles_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/vehicles"
)

const maxBody = 64 << 10

// Owners used by the tests (the vehicles context does not check that they exist).
const (
	ownerLisa = "9b3f7e55-52d7-4c1c-9f4e-6e6a6f0f1a10"
	ownerBram = "2f0c1a8e-7d4b-4e0a-8c55-3b1d2e6f9a01"
)

// harness is one vehicles service on its own fresh database, driven through HTTP.
type harness struct {
	t       testing.TB
	pool    *pgxpool.Pool
	handler http.Handler
	srv     *httptest.Server
}

// newHarness starts the vehicles module on a fresh database. nc and js may be nil for
// tests that do not touch NATS.
func newHarness(t testing.TB, nc *nats.Conn, js jetstream.JetStream) *harness {
	t.Helper()
	pool := testutil.Pool(t, testutil.Database(t), vehicles.Schema)
	deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(t), Registry: prometheus.NewRegistry()}
	m, err := vehicles.New(context.Background(), deps)
	if err != nil {
		t.Fatal(err)
	}
	handler := app.Handler("vehicles", deps, maxBody, m)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &harness{t: t, pool: pool, handler: handler, srv: srv}
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

// request sends body (a string is sent as is, an io.Reader streamed, anything else as
// JSON) with a JSON content type unless headers override it.
func (h *harness) request(method, path string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := openapitest.Client(h.t, "vehicles").Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// vehicleJSON is the API's vehicle representation.
type vehicleJSON struct {
	LicenseNumber string `json:"licenseNumber,omitempty"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

func golf() vehicleJSON {
	return vehicleJSON{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerLisa}
}

// register posts v and requires a 201.
func (h *harness) register(v vehicleJSON) vehicleJSON {
	h.t.Helper()
	res := h.request(http.MethodPost, "/api/vehicles", v)
	if res.status != http.StatusCreated {
		h.t.Fatalf("register %+v: status %d: %s", v, res.status, res.body)
	}
	var got vehicleJSON
	res.json(h.t, &got)
	return got
}

// stored counts the vehicles rows and the outbox rows.
type stored struct{ vehicles, outbox int }

func (h *harness) stored() stored {
	h.t.Helper()
	var s stored
	err := h.pool.QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM vehicles), (SELECT count(*) FROM outbox)`).Scan(&s.vehicles, &s.outbox)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// outboxRow is one row of the vehicles outbox.
type outboxRow struct {
	eventID, eventType, source, subject string
	payload                             []byte
}

func (h *harness) outboxRows() []outboxRow {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(),
		`SELECT event_id::text, event_type, source, subject, payload FROM outbox ORDER BY id`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.eventID, &r.eventType, &r.source, &r.subject, &r.payload); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
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
	var fs []string
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	sort.Strings(fs)
	return fs
}

func wantFields(t testing.TB, p problem.Problem, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := fieldsOf(p); !reflect.DeepEqual(got, want) {
		t.Errorf("problem fields = %v, want %v (%+v)", got, want, p.Errors)
	}
}
