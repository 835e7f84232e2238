package invoicing_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imports lists the imports of the non-test Go files in dir.
func imports(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[p] = filepath.Base(f)
		}
	}
	return out
}

// TestLayering fails on a forbidden import: the domain imports only the standard
// library and uuid; the application imports no adapter, port, database, router,
// broker or mail technology (only the event envelope and contracts).
func TestLayering(t *testing.T) {
	t.Parallel()
	for p, f := range imports(t, "internal/domain") {
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") && p != "github.com/google/uuid" {
			t.Errorf("domain file %s imports %s (only the standard library and uuid are allowed)", f, p)
		}
	}
	forbidden := []string{"github.com/jackc/", "github.com/go-chi/", "github.com/nats-io/", "net/http", "html/template",
		"github.com/pitstop/pitstop/invoicing/internal/adapters", "github.com/pitstop/pitstop/invoicing/internal/ports",
		"github.com/pitstop/pitstop/shared-go/"}
	for p, f := range imports(t, "internal/application") {
		if p == "github.com/pitstop/pitstop/shared-go/events" {
			continue
		}
		for _, bad := range forbidden {
			if strings.HasPrefix(p, bad) {
				t.Errorf("application file %s imports %s", f, p)
			}
		}
	}
}
