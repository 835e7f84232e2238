package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// rewrite sends every request to srv, as the gateway's balancer does.
type rewrite struct{ host string }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = "http", r.host, ""
	return http.DefaultTransport.RoundTrip(out)
}

func serve(t *testing.T, h http.HandlerFunc) http.RoundTripper {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return rewrite{host: srv.Listener.Addr().String()}
}

func TestAnswersBecomeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		status      int
		ctype, body string
		unavailable bool
		wantStatus  int
		wantDetail  string
	}{
		{"validation", 400, "application/problem+json", `{"status":400,"detail":"One or more fields are invalid.","errors":[{"field":"name","detail":"is required"}]}`, false, 400, "One or more fields are invalid."},
		{"rule", 409, "application/problem+json", `{"status":409,"detail":"Only 1 maintenance job can be executed on a vehicle during a certain time-slot."}`, false, 409, "Only 1 maintenance job can be executed on a vehicle during a certain time-slot."},
		{"gateway: no instance", 503, "application/problem+json", `{"status":503,"detail":"The customers service is offline; try again soon."}`, true, 503, "The customers service is offline; try again soon."},
		{"bad gateway", 502, "text/plain", "bad gateway", true, 502, ""},
		{"internal error, not JSON", 500, "text/plain", "oops", false, 500, ""},
		{"status line wins", 404, "application/problem+json", `{"status":200}`, false, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", c.ctype)
				w.WriteHeader(c.status)
				_, _ = fmt.Fprint(w, c.body)
			})
			_, err := apiclient.NewCustomers(rt).Get(context.Background(), "x")
			var p *apiclient.Problem
			if !errors.As(err, &p) || p.Status != c.wantStatus || p.Detail != c.wantDetail {
				t.Fatalf("error %v, want a problem %d %q", err, c.wantStatus, c.wantDetail)
			}
			if errors.Is(err, apiclient.ErrUnavailable) != c.unavailable {
				t.Fatalf("unavailable = %v, want %v", !c.unavailable, c.unavailable)
			}
			if c.status == 400 && (len(p.Errors) != 1 || p.Errors[0].Field != "name") {
				t.Fatalf("field errors %+v", p.Errors)
			}
		})
	}
}

func TestTransportFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	rt := rewrite{host: srv.Listener.Addr().String()}
	srv.Close()
	_, err := apiclient.NewWorkshop(rt).Planning(context.Background(), "2030-05-06")
	if !errors.Is(err, apiclient.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
}

func TestRefVehiclesFollowsThePagesUpToMax(t *testing.T) {
	t.Parallel()
	var cursors []string
	rt := serve(t, func(w http.ResponseWriter, r *http.Request) {
		c := r.URL.Query().Get("cursor")
		cursors = append(cursors, c)
		w.Header().Set("Content-Type", "application/json")
		switch c {
		case "":
			fmt.Fprint(w, `{"items":[{"licenseNumber":"A-1-A"},{"licenseNumber":"B-1-B"}],"next":"p2"}`)
		case "p2":
			fmt.Fprint(w, `{"items":[{"licenseNumber":"C-1-C"}],"next":"p3"}`)
		default:
			fmt.Fprint(w, `{"items":[{"licenseNumber":"D-1-D"}]}`)
		}
	})
	w := apiclient.NewWorkshop(rt)
	all, err := w.RefVehicles(context.Background(), 100)
	if err != nil || len(all) != 4 || all[3].LicenseNumber != "D-1-D" {
		t.Fatalf("%+v %v", all, err)
	}
	if fmt.Sprint(cursors) != "[ p2 p3]" {
		t.Fatalf("cursors %q", cursors)
	}
	capped, err := w.RefVehicles(context.Background(), 3)
	if err != nil || len(capped) != 3 {
		t.Fatalf("capped %+v %v", capped, err)
	}
}

func TestRequestsAreJSON(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body string
	rt := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 1024)
		n, _ := r.Body.Read(b)
		got, body = r, string(b[:n])
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"jobId":"j","status":"Completed"}`)
	})
	j, err := apiclient.NewWorkshop(rt).FinishJob(context.Background(), "2030-05-06", "j/1",
		apiclient.FinishJob{ActualStartTime: "s", ActualEndTime: "e", Notes: "n"})
	if err != nil || j.Status != apiclient.StatusCompleted {
		t.Fatalf("%+v %v", j, err)
	}
	if got.Method != http.MethodPut || got.URL.EscapedPath() != "/api/workshopplanning/2030-05-06/jobs/j%2F1/finish" ||
		got.Header.Get("Content-Type") != "application/json" ||
		body != `{"actualStartTime":"s","actualEndTime":"e","notes":"n"}` {
		t.Fatalf("%s %s %q %s", got.Method, got.URL.EscapedPath(), got.Header.Get("Content-Type"), body)
	}
}

func TestCallsCarryTheContextsToken(t *testing.T) {
	t.Parallel()
	got := make(chan string, 2)
	rt := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"customerId":"x"}`)
	})
	c := apiclient.NewCustomers(rt)
	if _, err := c.Get(apiclient.WithToken(context.Background(), "tok-1"), "x"); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != "Bearer tok-1" {
		t.Fatalf("Authorization %q, want Bearer tok-1", h)
	}
	if _, err := c.Get(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != "" {
		t.Fatalf("Authorization %q without a token", h)
	}
}
