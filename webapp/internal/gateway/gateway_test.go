package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp/internal/gateway"
)

// fakeInstance is one instance of a service: it counts requests by method and answers
// /readyz with ready's value.
type fakeInstance struct {
	srv   *httptest.Server
	ready atomic.Bool
	mu    sync.Mutex
	hits  map[string]int
	last  *http.Request
	body  string
}

func newInstance(t *testing.T, name string) *fakeInstance {
	t.Helper()
	f := &fakeInstance{hits: map[string]int{}}
	f.ready.Store(true)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/readyz") {
			if !f.ready.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.hits[r.Method]++
		f.last = r
		f.body = string(b)
		f.mu.Unlock()
		w.Header().Set("X-Instance", name)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"instance":"`+name+`"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInstance) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[method]
}

// closingInstance accepts requests and drops the connection without answering.
func closingInstance(t *testing.T, received *atomic.Int32) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		received.Add(1)
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = c.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// deadURL is the URL of a service that is down.
func deadURL(t *testing.T) string { return testutil.DeadURL(t) }

// serve mounts the gateway on Pitstop's router, as the webapp does.
func serve(t *testing.T, upstreams map[string][]string) (*gateway.Gateway, *httptest.Server) {
	t.Helper()
	g, err := gateway.New(gateway.Config{Upstreams: upstreams, Log: testutil.Logger(t), Registry: prometheus.NewRegistry(),
		HealthInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter(httpx.RouterOptions{Logger: testutil.Logger(t)})
	g.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return g, srv
}

func do(t *testing.T, method, url, body string) (*http.Response, string) {
	t.Helper()
	var rdr io.Reader
	if body != "" {
		rdr = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rdr)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRoundRobinAcrossLiveInstancesSkipsTheDeadOne(t *testing.T) {
	t.Parallel()
	a, b := newInstance(t, "a"), newInstance(t, "b")
	dead := deadURL(t)
	g, srv := serve(t, map[string][]string{gateway.Customers: {a.srv.URL, dead, b.srv.URL}})

	for i := range 20 {
		resp, body := do(t, http.MethodGet, srv.URL+"/api/customers?limit=5", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if a.count("GET")+b.count("GET") != 20 {
		t.Fatalf("live instances served %d+%d requests, want 20", a.count("GET"), b.count("GET"))
	}
	// The dead instance was tried at most once and then skipped: the live ones share
	// the load evenly (10 each, give or take the one request the dead one cost).
	for _, n := range []int{a.count("GET"), b.count("GET")} {
		if n < 9 || n > 11 {
			t.Fatalf("uneven round robin: a=%d b=%d", a.count("GET"), b.count("GET"))
		}
	}
	for _, st := range g.Upstream(gateway.Customers).Status() {
		if st.URL == dead && (st.Up || st.LastError == "") {
			t.Fatalf("dead instance status %+v, want down with a reason", st)
		}
		if st.URL != dead && !st.Up {
			t.Fatalf("live instance %s marked down: %s", st.URL, st.LastError)
		}
	}
}

func TestHealthCheckSkipsAnUnreadyInstanceAndTakesItBack(t *testing.T) {
	t.Parallel()
	a, b := newInstance(t, "a"), newInstance(t, "b")
	dead := deadURL(t)
	g, srv := serve(t, map[string][]string{gateway.Vehicles: {a.srv.URL, b.srv.URL, dead}})
	ctx := context.Background()

	b.ready.Store(false)
	g.CheckNow(ctx)
	for range 6 {
		if resp, body := do(t, http.MethodGet, srv.URL+"/api/vehicles", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	if a.count("GET") != 6 || b.count("GET") != 0 {
		t.Fatalf("with b unready: a=%d b=%d, want 6 and 0", a.count("GET"), b.count("GET"))
	}

	b.ready.Store(true)
	g.CheckNow(ctx)
	for range 6 {
		do(t, http.MethodGet, srv.URL+"/api/vehicles", "")
	}
	if a.count("GET") != 9 || b.count("GET") != 3 {
		t.Fatalf("after b recovered: a=%d b=%d, want 9 and 3", a.count("GET"), b.count("GET"))
	}
}

func TestRunHealthChecksProbesPeriodically(t *testing.T) {
	t.Parallel()
	a := newInstance(t, "a")
	g, _ := serve(t, map[string][]string{gateway.Workshop: {a.srv.URL}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.RunHealthChecks(ctx) }()
	up := func() bool { return g.Upstream(gateway.Workshop).Status()[0].Up }

	a.ready.Store(false)
	testutil.Eventually(t, 5*time.Second, func() bool { return !up() }, "instance never marked down")
	a.ready.Store(true)
	testutil.Eventually(t, 5*time.Second, up, "instance never marked up again")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunHealthChecks: %v", err)
	}
}

func TestNoHealthyInstanceIsA503Problem(t *testing.T) {
	t.Parallel()
	_, srv := serve(t, map[string][]string{gateway.Workshop: {deadURL(t)}})
	for _, path := range []string{"/api/workshopplanning/2024-05-01", "/api/refdata/vehicles", "/api/invoices"} {
		resp, body := do(t, http.MethodGet, srv.URL+path, "")
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s: %d %s, want 503", path, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%s: content type %q", path, ct)
		}
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != 503 || !strings.Contains(p.Detail, "offline") {
			t.Fatalf("%s: problem %s (%v)", path, body, err)
		}
	}
}

func TestPostThatReachedAnInstanceIsNotRetried(t *testing.T) {
	t.Parallel()
	var received atomic.Int32
	closing := closingInstance(t, &received)
	good := newInstance(t, "good")
	_, srv := serve(t, map[string][]string{gateway.Customers: {closing, good.srv.URL}})

	// A fresh balancer starts with the first instance.
	resp, body := do(t, http.MethodPost, srv.URL+"/api/customers", `{"name":"x"}`)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("POST: %d %s, want 502", resp.StatusCode, body)
	}
	if received.Load() != 1 || good.count("POST") != 0 {
		t.Fatalf("POST reached closing=%d good=%d times, want 1 and 0 (a POST that may have been applied is not repeated)",
			received.Load(), good.count("POST"))
	}
	// The failed instance is skipped from now on.
	resp, _ = do(t, http.MethodPost, srv.URL+"/api/customers", `{"name":"y"}`)
	if resp.StatusCode != http.StatusOK || good.count("POST") != 1 || received.Load() != 1 {
		t.Fatalf("second POST: %d, good=%d closing=%d", resp.StatusCode, good.count("POST"), received.Load())
	}
}

func TestIdempotentRequestIsRetriedOnTheNextInstanceWithItsBody(t *testing.T) {
	t.Parallel()
	var received atomic.Int32
	closing := closingInstance(t, &received)
	good := newInstance(t, "good")
	_, srv := serve(t, map[string][]string{gateway.Customers: {closing, good.srv.URL}})

	resp, body := do(t, http.MethodPut, srv.URL+"/api/customers/42", `{"name":"Jane"}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Instance") != "good" {
		t.Fatalf("PUT: %d %s from %q, want 200 from good", resp.StatusCode, body, resp.Header.Get("X-Instance"))
	}
	if received.Load() != 1 || good.count("PUT") != 1 || good.body != `{"name":"Jane"}` {
		t.Fatalf("closing=%d good=%d body=%q", received.Load(), good.count("PUT"), good.body)
	}
}

func TestConnectionRefusedPostIsRetried(t *testing.T) {
	t.Parallel()
	good := newInstance(t, "good")
	_, srv := serve(t, map[string][]string{gateway.Customers: {deadURL(t), good.srv.URL}})
	resp, body := do(t, http.MethodPost, srv.URL+"/api/customers", `{"name":"x"}`)
	if resp.StatusCode != http.StatusOK || good.count("POST") != 1 || good.body != `{"name":"x"}` {
		t.Fatalf("POST: %d %s, good got %d with %q", resp.StatusCode, body, good.count("POST"), good.body)
	}
}

func TestProxyKeepsPathQueryAndForwardsRequestID(t *testing.T) {
	t.Parallel()
	a := newInstance(t, "a")
	_, srv := serve(t, map[string][]string{gateway.Auditlog: {a.srv.URL + "/prefix/"}})
	resp, body := do(t, http.MethodGet, srv.URL+"/api/auditlog?type=pitstop.customers.CustomerRegistered&limit=2", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"a"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	a.mu.Lock()
	last := a.last
	a.mu.Unlock()
	if last.URL.Path != "/prefix/api/auditlog" || last.URL.Query().Get("type") != "pitstop.customers.CustomerRegistered" {
		t.Fatalf("upstream saw %s", last.URL)
	}
	if last.Header.Get("X-Forwarded-For") == "" {
		t.Fatal("X-Forwarded-For not set")
	}
	ids := resp.Header.Values("X-Request-Id")
	if len(ids) != 1 || ids[0] == "" || last.Header.Get("X-Request-Id") != ids[0] {
		t.Fatalf("request ids: answer %q, upstream saw %q", ids, last.Header.Get("X-Request-Id"))
	}
}

func TestUnconfiguredServiceIsA503AndUnknownPathsAreNotProxied(t *testing.T) {
	t.Parallel()
	a := newInstance(t, "a")
	_, srv := serve(t, map[string][]string{gateway.Customers: {a.srv.URL}})
	if resp, body := do(t, http.MethodGet, srv.URL+"/api/time", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/api/time without timekeeper: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/api/customersX", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/api/customersX: %d, want 404", resp.StatusCode)
	}
	if a.count("GET") != 0 {
		t.Fatal("a request that is not the customers API reached customers")
	}
}

func TestNewRejectsBadInstanceURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"localhost:5100", "ftp://x", "http://"} {
		if _, err := gateway.New(gateway.Config{Upstreams: map[string][]string{gateway.Customers: {u}}}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestUpstreamIsTheClientsTransport(t *testing.T) {
	t.Parallel()
	a, b := newInstance(t, "a"), newInstance(t, "b")
	g, _ := serve(t, map[string][]string{gateway.Customers: {a.srv.URL, b.srv.URL}})
	c := &http.Client{Transport: g.Upstream(gateway.Customers)}
	for range 4 {
		resp, err := c.Get("http://customers/api/customers")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	if a.count("GET") != 2 || b.count("GET") != 2 {
		t.Fatalf("a=%d b=%d, want 2 and 2", a.count("GET"), b.count("GET"))
	}
}
