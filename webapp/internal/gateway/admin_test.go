package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/webapp/internal/gateway"
)

// The services' operator API (/admin, shared-go/admin) is for their own ports only:
// no gateway route prefix covers it, and a request for it reaches no service.
func TestGatewayDoesNotRouteTheAdminAPI(t *testing.T) {
	t.Parallel()
	for prefix := range gateway.DefaultRoutes() {
		if !strings.HasPrefix(prefix, "/api/") {
			t.Errorf("route prefix %q is outside /api/: it could cover /admin", prefix)
		}
	}
	upstreams := map[string][]string{}
	instances := map[string]*fakeInstance{}
	for _, s := range gateway.DefaultRoutes() {
		if instances[s] == nil {
			instances[s] = newInstance(t, s)
			upstreams[s] = []string{instances[s].srv.URL}
		}
	}
	_, srv := serve(t, upstreams)
	for _, path := range []string{"/admin/dlq", "/admin/status", "/admin/dlq/relay:customers:1/skip"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			if resp, body := do(t, method, srv.URL+path, ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s through the gateway: %d %s, want 404", method, path, resp.StatusCode, body)
			}
		}
	}
	for s, f := range instances {
		if n := f.count(http.MethodGet) + f.count(http.MethodPost); n != 0 {
			t.Errorf("%s received %d admin requests through the gateway", s, n)
		}
	}
}
