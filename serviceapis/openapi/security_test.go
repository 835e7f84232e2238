package openapi_test

import (
	"slices"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pitstop/pitstop/serviceapis/openapi"
	"github.com/pitstop/pitstop/shared-go/auth"
)

// openPaths are the only operations callable without a token (ADR 0007).
var openPaths = []string{"/healthz", "/readyz", "/metrics", "/openapi.yaml", "/api/token"}

// TestEveryDocumentSaysWhoMayCallWhat: each document declares the bearer scheme and
// requires it everywhere except the open paths, every other operation documents the
// 401 and 403 answers, and the roles lists name real roles (the services enforce them).
func TestEveryDocumentSaysWhoMayCallWhat(t *testing.T) {
	t.Parallel()
	for _, name := range openapi.Services() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec := openapi.Spec(name)
			if _, err := auth.PolicyFromOpenAPI(spec); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Security   []map[string][]string `json:"security"`
				Components struct {
					SecuritySchemes map[string]struct {
						Type, Scheme string
					} `json:"securitySchemes"`
				} `json:"components"`
				Paths map[string]map[string]any `json:"paths"`
			}
			if err := yaml.Unmarshal(spec, &doc); err != nil {
				t.Fatal(err)
			}
			if s, ok := doc.Components.SecuritySchemes["bearerAuth"]; !ok || s.Type != "http" || s.Scheme != "bearer" {
				t.Errorf("no http bearer scheme bearerAuth: %+v", doc.Components.SecuritySchemes)
			}
			if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
				t.Errorf("the document does not require bearerAuth by default: %v", doc.Security)
			}
			for path, item := range doc.Paths {
				for _, m := range []string{"get", "put", "post", "delete", "patch"} {
					op, ok := item[m].(map[string]any)
					if !ok {
						continue
					}
					sec, declared := op["security"].([]any)
					if open := declared && len(sec) == 0; open != slices.Contains(openPaths, path) {
						t.Errorf("%s %s: open %v (security %v), want open only for %v", m, path, open, op["security"], openPaths)
						continue
					}
					if slices.Contains(openPaths, path) {
						continue
					}
					res, _ := op["responses"].(map[string]any)
					for _, code := range []string{"401", "403"} {
						if _, ok := res[code]; !ok {
							t.Errorf("%s %s: no %s response", m, path, code)
						}
					}
				}
			}
		})
	}
}
