package timekeeper_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayerImports fails when a layer imports what the hexagonal layout forbids: the
// domain knows no storage, HTTP, messaging, event or outer layer; the application knows
// no storage, HTTP or broker technology and no adapter or port.
func TestLayerImports(t *testing.T) {
	t.Parallel()
	const mod = "github.com/pitstop/pitstop/"
	tech := []string{"github.com/jackc/pgx", "github.com/go-chi/chi", "github.com/nats-io", "net/http",
		"github.com/prometheus", mod + "shared-go/postgres", mod + "shared-go/outbox", mod + "shared-go/httpx",
		mod + "shared-go/messaging", mod + "shared-go/app"}
	outer := []string{mod + "timekeeper/internal/adapters", mod + "timekeeper/internal/ports"}
	rules := map[string][]string{
		"internal/domain": append(append([]string{mod + "timekeeper/internal/application", mod + "shared-go/events",
			mod + "serviceapis"}, tech...), outer...),
		"internal/application": append(append([]string{}, tech...), outer...),
	}
	for dir, forbidden := range rules {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range forbidden {
					if path == bad || strings.HasPrefix(path, bad+"/") {
						t.Errorf("%s imports %s, which %s must not depend on", file, path, dir)
					}
				}
			}
		}
	}
}
