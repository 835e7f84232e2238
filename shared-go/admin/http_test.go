package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

type api struct {
	t   *testing.T
	srv *httptest.Server
}

func (e *env) api(s admin.Service) api {
	s.Pool, s.JS, s.Log = e.any, e.js, testutil.Logger(e.t)
	srv := httptest.NewServer(admin.Handler(s))
	e.t.Cleanup(srv.Close)
	return api{t: e.t, srv: srv}
}

// do sends body (JSON text, or nothing when empty) and checks the status; it decodes
// the answer into out when out is not nil.
func (a api) do(method, path, body string, status int, out any) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		a.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, data, status)
	}
	if status >= 400 {
		var p problem.Problem
		if ct := res.Header.Get("Content-Type"); ct != problem.ContentType || json.Unmarshal(data, &p) != nil || p.Status != status {
			a.t.Fatalf("%s %s: not a problem document (%s): %s", method, path, ct, data)
		}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

func TestHTTPAPIStatusCodes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.seedDeadLetters()
	shopAPI := e.api(admin.Service{Schema: shop})

	var list struct{ Items []admin.DeadLetter }
	shopAPI.do("GET", "/admin/dlq", "", 200, &list)
	if len(list.Items) != 2 || list.Items[0].ID != "relay:shop:101" {
		t.Fatalf("list: %+v", list.Items)
	}
	shopAPI.do("GET", "/admin/dlq?all=true&type=ItemChanged&olderThan=1d", "", 200, &list)
	if len(list.Items) != 2 || list.Items[0].ID != "relay:shop:103" {
		t.Fatalf("filtered list: %+v", list.Items)
	}
	var p problem.Problem
	shopAPI.do("GET", "/admin/dlq?olderThan=soon&all=maybe", "", 400, &p)
	if len(p.Errors) != 2 {
		t.Fatalf("validation problem: %+v", p)
	}
	shopAPI.do("GET", "/admin/dlq?kind=outbox", "", 400, nil)
	var d admin.DeadLetter
	shopAPI.do("GET", "/admin/dlq/relay:shop:101", "", 200, &d)
	if d.ID != "relay:shop:101" || string(d.Payload) != "{}" || d.Attempts != 10 {
		t.Fatalf("get: %+v", d)
	}
	for _, missing := range []string{"relay:shop:999", "garbage", "consumer:books:1", "consumer:shop:1"} {
		shopAPI.do("GET", "/admin/dlq/"+missing, "", 404, nil)
		shopAPI.do("POST", "/admin/dlq/"+missing+"/skip", `{"reason":"x"}`, 404, nil)
		shopAPI.do("POST", "/admin/dlq/"+missing+"/requeue", "", 404, nil)
	}

	shopAPI.do("POST", "/admin/dlq/relay:shop:101/skip", `{"by":"ops@test"}`, 400, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "reason" {
		t.Fatalf("skip without a reason: %+v", p)
	}
	shopAPI.do("POST", "/admin/dlq/relay:shop:101/skip", `{"reason":`, 400, nil)
	var out admin.Outcome
	shopAPI.do("POST", "/admin/dlq/relay:shop:101/skip", `{"reason":"obsolete","by":"ops@test"}`, 200, &out)
	if out.Action != "skipped" || out.WrittenEventID == "" {
		t.Fatalf("skip: %+v", out)
	}
	shopAPI.do("POST", "/admin/dlq/relay:shop:101/skip", `{"reason":"again"}`, 409, nil)
	shopAPI.do("POST", "/admin/dlq/relay:shop:101/requeue", "", 409, nil)
	shopAPI.do("POST", "/admin/dlq/relay:shop:103/requeue", "", 409, nil) // skipped long ago
	shopAPI.do("POST", "/admin/dlq/relay:shop:102/requeue", "", 200, &out)
	if out.Action != "requeued" {
		t.Fatalf("requeue: %+v", out)
	}
	// The API defaulted "by" to the client: the tombstone says who skipped.
	var by string
	if err := e.pools[shop].QueryRow(context.Background(), `SELECT resolved_by FROM outbox_dead_letter WHERE id = 101`).Scan(&by); err != nil ||
		by != "ops@test" {
		t.Fatalf("resolved_by = %q %v", by, err)
	}
	shopAPI.do("GET", "/admin/dlq/relay:shop:102", "", 404, nil) // back in the outbox
	shopAPI.do("PUT", "/admin/dlq/relay:shop:102/requeue", "", 405, nil)

	var st admin.Status
	shopAPI.do("GET", "/admin/status", "", 200, &st)
	if len(st.Outboxes) != 1 || st.Outboxes[0].Context != shop || st.Outboxes[0].Depth != 2 {
		t.Fatalf("status: %+v", st)
	}
	shopAPI.do("POST", "/admin/republish", "", 404, nil)
	shopAPI.do("POST", "/admin/replay", `{"consumer":"books","sinceSeq":1}`, 404, nil) // not shop's

	booksAPI := e.api(admin.Service{Schema: books, Consumers: []string{"books"},
		Republish: func(context.Context) (int, error) { return 3, nil }})
	var n map[string]int
	booksAPI.do("POST", "/admin/republish", "", 200, &n)
	if n["events"] != 3 {
		t.Fatalf("republish: %v", n)
	}
	booksAPI.do("POST", "/admin/replay", `{}`, 400, nil)
	booksAPI.do("POST", "/admin/replay", `{"consumer":"books","sinceSeq":1,"since":"2026-01-01T00:00:00Z"}`, 400, nil)
	booksAPI.do("POST", "/admin/replay", `{"consumer":"books","since":"yesterday"}`, 400, nil)
	booksAPI.do("POST", "/admin/replay", `{"consumer":"books","sinceSeq":1}`, 404, nil) // not on the stream yet
	if _, err := messaging.DeclareConsumer(context.Background(), e.js, "books", []string{"pitstop.>"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	var res admin.ReplayResult
	booksAPI.do("POST", "/admin/replay", `{"consumer":"books","since":"2020-01-01T00:00:00Z"}`, 202, &res)
	if res.DeliverPolicy != "by_start_time" || res.StartTime == nil {
		t.Fatalf("replay: %+v", res)
	}
	booksAPI.do("POST", "/admin/dlq/consumer:books:1/skip", `{"reason":"gone"}`, 200, &out)
	if err := e.pools[books].QueryRow(context.Background(), `SELECT resolved_by FROM consumer_dead_letter WHERE id = 1`).Scan(&by); err != nil ||
		!strings.HasPrefix(by, "admin-api@127.0.0.1") {
		t.Fatalf("default by = %q %v", by, err)
	}
	// Without a broker, the consumer-side operations that need it are unavailable.
	noBroker := httptest.NewServer(admin.Handler(admin.Service{Pool: e.any, Schema: books, Log: testutil.Logger(t)}))
	t.Cleanup(noBroker.Close)
	api{t: t, srv: noBroker}.do("POST", "/admin/dlq/consumer:books:2/requeue", "", 503, nil)
}
