package auditlog_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// FuzzListQuery drives GET /api/auditlog, through the real router and a real database
// holding a few entries, with arbitrary raw query strings. Whatever the query, the
// answer is a 200 page of well-formed entries or a 400 problem document naming the
// offending parameters, never a panic or a 5xx; a page never holds more than the limit
// and its next cursor is accepted (with the same sort).
//
// As a normal test it runs the seed corpus; explore with
//
//	go test ./auditlog -run '^$' -fuzz FuzzListQuery
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"",
		"type=CustomerRegistered",
		"type=pitstop.customers.CustomerRegistered&subject=x&limit=1",
		"from=2024-05-01T08:00:00Z&to=2024-05-02T08:00:00Z",
		"from=2024-05-01T08:00:00+02:00",
		"from=2024-05-01T08:00:00.999999999-23:59&to=9999-12-31T23:59:59Z",
		"from=0000-01-01T00:00:00Z",
		"to=2024-05-01T08:00:00Z&from=2024-05-02T08:00:00Z",
		"limit=0", "limit=200", "limit=201", "limit=-0", "limit=+5", "limit=0x10",
		"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("a1:1")),
		"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("a1:9223372036854775807")),
		"cursor=%%%",
		"type=%00", "subject=%FF%FE", "type=%27%3B%20DROP%20TABLE%20audit_entries%3B--",
		"type=%25&subject=_", "type=.", "type=...", "subject=" + strings.Repeat("a", 5000),
		"type=a&type=b", "limit=1&limit=x", ";;;&&&===", "from=%", "a=b=c&=&&",
		"actor=staff%3Aanna", "actor=%00", "actor=%FF", "q=fuzz", "q=%25", "q=_", "q=%22%5C", "q=%5Cu0000",
		"q=%E2%80%A8%F0%9F%9A%97", "q=%27%29%20%3F%20%28true", "q=%24.**", "q=%20%20", "q=" + strings.Repeat("x", 201),
		"sort=time&limit=1", "sort=-time&limit=1", "sort=type&limit=2", "sort=-type&limit=1", "sort=-recorded&limit=1",
		"sort=TIME", "sort=", "sort=time&cursor=" + base64.RawURLEncoding.EncodeToString([]byte("a1t:0:1")),
		"sort=type&cursor=" + base64.RawURLEncoding.EncodeToString([]byte("a1y:1:pitstop.")),
		"sort=-time&q=FUZZ&actor=&type=CustomerRegistered&limit=1",
	} {
		f.Add(seed)
	}
	h := newHarness(f)
	var evs []events.Envelope
	for range 3 {
		ev := customerRegistered(f, "Fuzz")
		evs = append(evs, ev)
		h.Publish(ev)
	}
	h.waitFor(evs...)
	token := testutil.Token(f, auth.Mechanic) // a role the list is open to

	f.Fuzz(func(t *testing.T, rawQuery string) {
		// In process (an arbitrary raw query need not survive the wire), through the
		// transport that validates each exchange against the OpenAPI document.
		api := testutil.TokenTransport{Base: openapitest.Transport(t, "auditlog", inProcess{h.Handler}), Token: token}
		serve := func(req *http.Request) *httptest.ResponseRecorder {
			t.Helper()
			res, err := api.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			rec := httptest.NewRecorder()
			for k, v := range res.Header {
				rec.Header()[k] = v
			}
			rec.Code = res.StatusCode
			if _, err := io.Copy(rec.Body, res.Body); err != nil {
				t.Fatal(err)
			}
			return rec
		}
		req := httptest.NewRequest(http.MethodGet, "/api/auditlog", nil)
		req.URL.RawQuery = rawQuery
		rec := serve(req)
		switch rec.Code {
		case http.StatusOK:
			var page listJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.Items == nil {
				t.Fatalf("200 without a page: %s", rec.Body)
			}
			// The handler reads the query as url.Values does, skipping malformed pairs.
			q, _ := url.ParseQuery(rawQuery)
			limit := 50
			if s := q.Get("limit"); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil {
					t.Fatalf("limit %q accepted", s)
				}
				limit = n
			}
			if len(page.Items) > limit {
				t.Fatalf("%d items on a page with limit %d", len(page.Items), limit)
			}
			for _, e := range page.Items {
				if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || !json.Valid(e.Data) || e.EventID == "" {
					t.Fatalf("malformed entry %+v", e)
				}
			}
			if page.Next != nil {
				q.Set("cursor", *page.Next)
				next := httptest.NewRequest(http.MethodGet, "/api/auditlog?"+q.Encode(), nil)
				rec := serve(next)
				if rec.Code != http.StatusOK {
					t.Fatalf("next page: %d %s", rec.Code, rec.Body)
				}
			}
		case http.StatusBadRequest:
			var p problem.Problem
			if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
				t.Fatalf("400 with content type %q", ct)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Errors) == 0 {
				t.Fatalf("400 without field errors: %s", rec.Body)
			}
		default:
			t.Fatalf("query %q: status %d: %s", rawQuery, rec.Code, rec.Body)
		}
	})
}

// inProcess is an http.RoundTripper that serves each request with a handler in the
// test's process.
type inProcess struct{ handler http.Handler }

func (p inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}
