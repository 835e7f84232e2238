package notifications_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayerImports fails when a layer of the notifications context imports what it
// must not: the domain no adapter, pgx, chi, NATS, messaging, mail or HTTP; the
// application no adapter, driving port or infrastructure; and nothing here another
// context's internals.
func TestLayerImports(t *testing.T) {
	t.Parallel()
	infra := []string{"github.com/jackc/pgx", "github.com/go-chi/chi", "github.com/nats-io", "github.com/prometheus",
		"github.com/pitstop/pitstop/shared-go/messaging", "github.com/pitstop/pitstop/shared-go/postgres",
		"github.com/pitstop/pitstop/shared-go/outbox", "github.com/pitstop/pitstop/shared-go/mail",
		"github.com/pitstop/pitstop/shared-go/httpx", "net/http", "net/smtp"}
	inner := []string{"github.com/pitstop/pitstop/notifications/internal/adapters",
		"github.com/pitstop/pitstop/notifications/internal/ports",
		"github.com/pitstop/pitstop/notifications/internal/application"}
	rules := map[string][]string{
		"internal/domain":      append(append([]string{"github.com/pitstop/pitstop/shared-go/events"}, infra...), inner...),
		"internal/application": append(append([]string{}, infra...), inner[:2]...),
		"internal/adapters":    inner[1:2],
	}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/pitstop/pitstop/") && strings.Contains(p, "/internal") &&
				!strings.HasPrefix(p, "github.com/pitstop/pitstop/notifications/") {
				t.Errorf("%s imports another context's internals: %s", path, p)
			}
			for dir, forbidden := range rules {
				if !strings.HasPrefix(filepath.ToSlash(path), dir+"/") || strings.HasSuffix(path, "_test.go") {
					continue
				}
				for _, bad := range forbidden {
					if p == bad || strings.HasPrefix(p, bad+"/") {
						t.Errorf("%s (%s) imports %s", path, dir, p)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
