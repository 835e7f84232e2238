package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp/internal/gateway"
)

// guarded serves a gateway that checks tokens against pub, in front of one customers
// instance.
func guarded(t *testing.T) (*fakeInstance, *httptest.Server, *auth.Signer) {
	t.Helper()
	pub, priv, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	inst := newInstance(t, "a")
	g, err := gateway.New(gateway.Config{Upstreams: map[string][]string{gateway.Customers: {inst.srv.URL}},
		Log: testutil.Logger(t), Registry: prometheus.NewRegistry(), Verifier: auth.NewVerifier(pub)})
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter(httpx.RouterOptions{Logger: testutil.Logger(t)})
	g.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return inst, srv, auth.NewSigner(priv, 0)
}

func send(t *testing.T, method, url, token string, cookie bool) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{}`)
	}
	req, _ := http.NewRequest(method, url, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie {
		req.Header.Set("Cookie", "pitstop_session=secret")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestGatewayRefusesRequestsWithoutAValidTokenOrRole(t *testing.T) {
	t.Parallel()
	inst, srv, signer := guarded(t)
	issue := func(s *auth.Signer, roles ...auth.Role) string {
		tok, _, err := s.Issue(auth.Principal{Subject: "fred", Kind: auth.KindStaff, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	_, otherKey, _ := auth.GenerateKey()
	expired := issue(signer.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }), auth.FrontDesk)
	forged := issue(auth.NewSigner(otherKey, 0), auth.Administrator)
	front := issue(signer, auth.FrontDesk)
	tampered := front[:len(front)-4] + "AAAA"

	for _, c := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"no token", "GET", "/api/customers", "", 401},
		{"expired", "GET", "/api/customers", expired, 401},
		{"forged", "GET", "/api/customers", forged, 401},
		{"tampered", "GET", "/api/customers", tampered, 401},
		{"mechanic writes a customer", "POST", "/api/customers", issue(signer, auth.Mechanic), 403},
		{"front desk on the operator API", "GET", "/api/customers/admin/whatever", front, 403},
	} {
		resp, body := send(t, c.method, srv.URL+c.path, c.token, false)
		if resp.StatusCode != c.want || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s: %d %s, want %d problem", c.name, resp.StatusCode, body, c.want)
		}
		if c.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no Bearer challenge", c.name)
		}
	}
	if n := inst.count("GET") + inst.count("POST"); n != 0 {
		t.Fatalf("%d refused requests reached the service", n)
	}

	// Allowed: forwarded with the token, without the cookies.
	resp, body := send(t, "POST", srv.URL+"/api/customers", front, true)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("front desk POST: %d %s", resp.StatusCode, body)
	}
	inst.mu.Lock()
	last := inst.last
	inst.mu.Unlock()
	if last.Header.Get("Authorization") != "Bearer "+front {
		t.Fatalf("forwarded Authorization %q", last.Header.Get("Authorization"))
	}
	if last.Header.Get("Cookie") != "" {
		t.Fatalf("forwarded the cookies %q", last.Header.Get("Cookie"))
	}
	admin := issue(signer, auth.Administrator)
	if resp, body := send(t, "GET", srv.URL+"/api/customers/admin/whatever", admin, false); resp.StatusCode != http.StatusOK {
		t.Fatalf("administrator: %d %s", resp.StatusCode, body)
	}
}
