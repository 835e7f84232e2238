// Package archtest enforces Pitstop's architecture on the whole module: it fails when a
// domain package imports an adapter technology, when one context reaches into another
// context's internals, or when the shared library depends on a context.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/pitstop/pitstop/"

var contexts = []string{"customers", "vehicles", "workshop", "notifications", "invoicing", "timekeeper", "auditlog"}

// forbiddenInDomain are import path prefixes a domain or application package must not use.
var forbiddenInDomain = []string{
	"github.com/jackc/pgx", "github.com/go-chi", "github.com/nats-io", "github.com/prometheus",
	"net/http", "database/sql", module + "shared-go/postgres", module + "shared-go/outbox",
	module + "shared-go/messaging", module + "shared-go/httpx", module + "shared-go/app",
}

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("go tool not available: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func contextOf(path string) string {
	rest, ok := strings.CutPrefix(path, module)
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(rest, "/")
	for _, c := range contexts {
		if c == first {
			return c
		}
	}
	return ""
}

func TestArchitecture(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("only %d packages listed", len(pkgs))
	}
	domains, applications := 0, 0
	for _, p := range pkgs {
		own := contextOf(p.ImportPath)
		isDomain := strings.Contains(p.ImportPath, "/internal/domain")
		isApplication := strings.Contains(p.ImportPath, "/internal/application")
		if isDomain {
			domains++
		}
		if isApplication {
			applications++
		}
		for _, imp := range p.Imports {
			if isDomain || isApplication {
				// Neither the domain nor the application knows storage, HTTP or broker
				// technology, nor the adapters and ports that wrap them.
				for _, f := range forbiddenInDomain {
					if imp == f || strings.HasPrefix(imp, f+"/") {
						t.Errorf("%s imports %s", p.ImportPath, imp)
					}
				}
				if strings.Contains(imp, "/internal/adapters") || strings.Contains(imp, "/internal/ports") {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
			if isDomain && strings.Contains(imp, "/internal/application") {
				t.Errorf("domain package %s imports the application layer %s", p.ImportPath, imp)
			}
			if other := contextOf(imp); other != "" && other != own && strings.Contains(imp, "/internal/") {
				t.Errorf("%s reaches into another context's internals: %s", p.ImportPath, imp)
			}
			if strings.HasPrefix(p.ImportPath, module+"shared-go") && contextOf(imp) != "" {
				t.Errorf("shared library %s depends on context package %s", p.ImportPath, imp)
			}
			if strings.HasPrefix(p.ImportPath, module+"serviceapis") && contextOf(imp) != "" {
				t.Errorf("contract package %s depends on context package %s", p.ImportPath, imp)
			}
		}
	}
	if domains < len(contexts) || applications < len(contexts) {
		t.Fatalf("found %d domain and %d application packages for %d contexts; the check would prove little",
			domains, applications, len(contexts))
	}
}
