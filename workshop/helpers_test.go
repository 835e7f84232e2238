package workshop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/workshop"
)

// env is one workshop service over a fresh database: its real HTTP handler on an
// httptest server and, with NATS, its consumers running.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	srv  *httptest.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	reg  *prometheus.Registry
}

type options struct {
	nats     bool
	replicas int // extra servers over the same database
}

func setup(t *testing.T, o options) (*env, []*httptest.Server) {
	t.Helper()
	ctx := context.Background()
	dbURL := testutil.Database(t)
	pool := testutil.Pool(t, dbURL, workshop.Schema)
	e := &env{t: t, pool: pool, reg: prometheus.NewRegistry()}
	d := app.Deps{Pool: pool, Log: testutil.Logger(t), Registry: e.reg}
	if o.nats {
		ns := testutil.StartNATS(t)
		d.NC, d.JS = ns.Connect(t)
		e.nc, e.js = d.NC, d.JS
		if err := messaging.EnsureStreams(ctx, d.JS); err != nil {
			t.Fatal(err)
		}
	}
	m, err := workshop.New(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(app.Handler("workshop", d, 64<<10, m))
	t.Cleanup(e.srv.Close)
	if o.nats {
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, w := range m.Workers() {
			wg.Go(func() {
				if err := w(wctx); err != nil {
					t.Errorf("worker: %v", err)
				}
			})
		}
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
	var extra []*httptest.Server
	for range o.replicas {
		rpool := testutil.Pool(t, dbURL, workshop.Schema)
		rd := app.Deps{Pool: rpool, Log: d.Log, Registry: prometheus.NewRegistry()}
		rm, err := workshop.New(ctx, rd)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(app.Handler("workshop", rd, 64<<10, rm))
		t.Cleanup(s.Close)
		extra = append(extra, s)
	}
	return e, extra
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problemDoc is the part of a problem document the tests look at.
type problemDoc struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (r response) problem(t *testing.T) problemDoc {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q for %d %s", ct, r.status, r.body)
	}
	var p problemDoc
	r.json(t, &p)
	return p
}

func (r response) fields(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range r.problem(t).Errors {
		out = append(out, e.Field)
	}
	return out
}

// do sends a request through a client that validates the exchange against the
// workshop's OpenAPI document (serviceapis/openapi/workshop.yaml): the response must be
// documented, and so must the request when it is accepted.
func do(t *testing.T, base, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := openapitest.Client(t, "workshop").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) do(method, path string, body any) response {
	return do(e.t, e.srv.URL, method, path, body)
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// stored is the number of events and of outbox rows.
func (e *env) stored() [2]int {
	return [2]int{e.count(`SELECT count(*) FROM events`), e.count(`SELECT count(*) FROM outbox`)}
}
