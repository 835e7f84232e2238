package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
)

type body struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func newServer(t *testing.T, ready error) (*httptest.Server, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	r := httpx.NewRouter(httpx.RouterOptions{Registry: reg, MaxBodyBytes: 1024,
		Checks: []httpx.Check{{Name: "db", Check: func(context.Context) error { return ready }}}})
	r.Post("/things", func(w http.ResponseWriter, r *http.Request) {
		var b body
		if err := httpx.DecodeJSON(r, &b); err != nil {
			httpx.WriteDecodeError(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusCreated, b)
	})
	r.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, reg
}

func post(t *testing.T, url, ct, payload string) (*http.Response, problem.Problem) {
	t.Helper()
	resp, err := http.Post(url, ct, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p problem.Problem
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		if got := resp.Header.Get("Content-Type"); got != problem.ContentType {
			t.Fatalf("error content type %q", got)
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("problem body %q: %v", raw, err)
		}
	}
	return resp, p
}

func TestDecodeJSONAnswersBadBodiesWith4xxProblems(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, nil)
	cases := []struct {
		name, ct, body string
		status         int
	}{
		{"malformed", "application/json", `{"name":`, 400},
		{"syntax", "application/json", `{"name" "x"}`, 400},
		{"wrong type", "application/json", `{"name":"a","age":"ten"}`, 400},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, 400},
		{"empty", "application/json", ``, 400},
		{"oversized", "application/json", `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413},
		{"media type", "text/plain", `{"name":"a"}`, 415},
		{"ok", "application/json", `{"name":"a","age":3,"extra":true}`, 201},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			resp, p := post(t, srv.URL+"/things", c.ct, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%+v)", resp.StatusCode, c.status, p)
			}
			if c.status >= 400 && (p.Status != c.status || p.Detail == "" || p.RequestID == "") {
				t.Fatalf("problem %+v", p)
			}
		})
	}
}

func TestWrongTypeNamesTheField(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, nil)
	_, p := post(t, srv.URL+"/things", "application/json", `{"age":"ten"}`)
	if len(p.Errors) != 1 || p.Errors[0].Field != "age" {
		t.Fatalf("problem %+v, want the age field named", p)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	down, _ := newServer(t, errors.New("db down"))
	resp, err := http.Get(down.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a failing check = %d, want 503", resp.StatusCode)
	}
	up, reg := newServer(t, nil)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/nope": 404, "/panic": 500} {
		resp, err := http.Get(up.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("GET %s: no request id", path)
		}
	}
	mfs, _ := reg.Gather()
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "pitstop_http_requests_total" {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" && l.GetValue() == "/panic" {
						found = true
					}
				}
			}
		}
	}
	if !found {
		t.Fatal("no RED metric for the /panic route")
	}
	resp, err = http.Get(up.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), "pitstop_http_request_duration_seconds") {
		t.Fatal("/metrics lacks the latency histogram")
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a","age":1}`, `{`, `[]`, `null`, `{"age":1e400}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(data)))
		r.Header.Set("Content-Type", "application/json")
		var b body
		err := httpx.DecodeJSON(r, &b)
		if err == nil {
			return
		}
		var de *httpx.DecodeError
		if !errors.As(err, &de) || de.Status < 400 || de.Status > 499 {
			t.Fatalf("decode error %v is not a 4xx DecodeError", err)
		}
	})
}
