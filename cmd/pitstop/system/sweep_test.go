package system_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// allowed is who may call a route, written down here from the issue's words and not
// read from the OpenAPI documents the services enforce, so a document that grants too
// much or too little fails the sweep: every role reads the business data; the front
// desk changes customers and vehicles; the planner plans, cancels and moves jobs; the
// mechanic finishes them; everything else (the business day, /admin) is the
// administrator's, who may do everything.
func allowed(method, route string) []auth.Role {
	all := []auth.Role{auth.FrontDesk, auth.Planner, auth.Mechanic}
	switch {
	case strings.HasPrefix(route, "/admin"):
		return nil
	case method == http.MethodGet || method == http.MethodHead:
		return all
	case strings.HasPrefix(route, "/api/customers") || strings.HasPrefix(route, "/api/vehicles"):
		return []auth.Role{auth.FrontDesk}
	case strings.HasPrefix(route, "/api/workshopplanning/") && strings.HasSuffix(route, "/finish"):
		return []auth.Role{auth.Mechanic}
	case strings.HasPrefix(route, "/api/workshopplanning/"):
		return []auth.Role{auth.Planner}
	}
	return nil
}

// open are the routes anyone may call.
var open = []string{"/healthz", "/readyz", "/metrics", "/openapi.yaml"}

// sample fills a route pattern's parameters with plausible values.
func sample(route string) string {
	r := strings.NewReplacer("{date}", "2030-01-07", "{jobId}", "5e9f7c1e-1c5f-4d36-9d4b-0d3b8a1f0a11",
		"{licenseNumber}", "AB-123-C", "{customerId}", "c-404", "{eventId}", "5e9f7c1e-1c5f-4d36-9d4b-0d3b8a1f0a12",
		"{invoiceId}", "inv-404", "{id}", "999999", "{name}", "no_such_slot", "/*", "/x")
	return r.Replace(route)
}

// TestEveryRouteOfEveryServiceNeedsATokenOfAnAllowedRole walks the router of each of
// the seven services (every route really mounted, documented or not) and calls each
// route without a token, with a tampered, a forged and an expired one (401 each time),
// and with a token of each role: 403 exactly when the role may not call it, and
// otherwise neither 401 nor 403 nor a 5xx.
func TestEveryRouteOfEveryServiceNeedsATokenOfAnAllowedRole(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	opts := system.ContextOptions{Mail: mail.NewFileSender(t.TempDir()), TimeZone: loc}
	for _, c := range system.Contexts(opts) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			s := servicetest.Start(t, servicetest.Options{Name: c.Name, Schema: c.Schema, JetStream: true, NoOpenAPI: true,
				Build: func(ctx context.Context, d app.Deps) (app.Module, error) { return c.Build(ctx, d, c.Options) }})
			sweep(t, s)
		})
	}
}

func sweep(t *testing.T, s *servicetest.Service) {
	routes, ok := s.Handler.(chi.Routes)
	if !ok {
		t.Fatalf("the handler is a %T, not a chi router", s.Handler)
	}
	tok := testutil.Token(t, auth.Administrator)
	parts := strings.Split(tok, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(
		[]byte(strings.Replace(string(claims), `"test-administrator"`, `"mallory"`, 1))) + "." + parts[2]
	_, otherKey, _ := auth.GenerateKey()
	forged, _, _ := auth.NewSigner(otherKey, time.Hour).Issue(auth.Principal{Subject: "mallory", Kind: auth.KindStaff,
		Roles: []auth.Role{auth.Administrator}})
	expired, _, _ := testutil.Signer().WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) }).
		Issue(auth.Principal{Subject: "ann", Kind: auth.KindStaff, Roles: []auth.Role{auth.Administrator}})

	n := 0
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if slices.Contains(open, route) {
			return nil
		}
		n++
		path := sample(route)
		var body any
		if method == http.MethodPost || method == http.MethodPut {
			body = "{}"
		}
		for name, header := range map[string]string{"no token": testutil.NoToken, "tampered": "Bearer " + tampered,
			"forged": "Bearer " + forged, "expired": "Bearer " + expired, "basic": "Basic YWRtaW46YWRtaW4="} {
			res := s.Do(method, path, body, "Authorization", header)
			if res.Status != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %s: %d (WWW-Authenticate %q), want 401 with a Bearer challenge",
					method, route, name, res.Status, res.Header.Get("WWW-Authenticate"))
			}
		}
		may := allowed(method, route)
		for _, role := range auth.Roles {
			res := s.Do(method, path, body, servicetest.As(t, role)...)
			want := role == auth.Administrator || slices.Contains(may, role)
			switch {
			case !want && res.Status != http.StatusForbidden:
				t.Errorf("%s %s as %s: %d, want 403", method, route, role, res.Status)
			case want && (res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden || res.Status >= 500):
				t.Errorf("%s %s as %s: %d %s, want it let through and answered without a server error",
					method, route, role, res.Status, res.Body)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("only %d routes walked", n)
	}
	t.Logf("%d routes swept", n)
}
