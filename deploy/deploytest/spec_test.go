package deploytest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// specPorts are the service ports of SYSTEM.md section 6; a relay listens on port + 1.
var specPorts = map[string]int{
	"webapp":        7005,
	"customers":     5100,
	"vehicles":      5000,
	"workshop":      5200,
	"notifications": 5300,
	"invoicing":     5400,
	"timekeeper":    5500,
	"auditlog":      5600,
}

// repoRoot is the module root (the folder holding go.mod), two levels up.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	return root
}

// loadCompose loads docker-compose.yml with compose-go, as `docker compose` does,
// without the caller's environment (so ${VAR:-default} takes its default).
func loadCompose(t testing.TB) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("pitstop"), cli.WithEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// goService is a compose service built from the Dockerfile (a Pitstop process).
type goService struct {
	Name    string // compose service name, e.g. "workshop-2"
	Target  string // Dockerfile target, e.g. "workshop-service"
	Context string // bounded context or "webapp", e.g. "workshop"
	Relay   bool   // a cmd/cdc
	Port    int    // the port SYSTEM.md gives it
	Svc     types.ServiceConfig
}

var replicaSuffix = regexp.MustCompile(`-[0-9]+$`)

// goServices classifies the compose services built from the Dockerfile.
func goServices(t testing.TB, p *types.Project) []goService {
	t.Helper()
	var out []goService
	for _, name := range sortedNames(p) {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		g := goService{Name: name, Target: s.Build.Target, Svc: s}
		base := replicaSuffix.ReplaceAllString(name, "")
		switch {
		case strings.HasSuffix(base, "-cdc"):
			g.Context, g.Relay = strings.TrimSuffix(base, "-cdc"), true
		default:
			g.Context = base
		}
		port, ok := specPorts[g.Context]
		if !ok {
			t.Errorf("compose service %s: %q is not a context of SYSTEM.md section 6", name, g.Context)
			continue
		}
		g.Port = port
		if g.Relay {
			g.Port = port + 1
		}
		out = append(out, g)
	}
	return out
}

// wantTarget is the Dockerfile target a compose service must be built from.
func (g goService) wantTarget() string {
	switch {
	case g.Relay:
		return g.Context + "-cdc"
	case g.Context == "webapp":
		return "webapp"
	default:
		return g.Context + "-service"
	}
}

func sortedNames(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// env returns a service's environment variable ("" when unset).
func env(s types.ServiceConfig, key string) string {
	if v, ok := s.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

// portOf returns the port of a listen address such as ":5100".
func portOf(addr string) (int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return 0, fmt.Errorf("no port in %q", addr)
	}
	return strconv.Atoi(addr[i+1:])
}

// dockerfile is the parsed Dockerfile: its stages and the binaries the build stage makes.
type dockerfile struct {
	Stages   map[string]*stage // by AS name
	Order    []string
	Binaries map[string]string // /out/<name> -> ./<package>
}

type stage struct {
	Name  string
	From  string
	Lines []string // instructions with continuations joined
}

var (
	fromRe  = regexp.MustCompile(`(?i)^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$`)
	buildRe = regexp.MustCompile(`-o\s+/out/(\S+)\s+(\./\S+)`)
)

// parseDockerfile reads the Dockerfile's stages and build lines. It is a small parser
// for this one file (FROM ... AS, line continuations, heredocs kept as lines).
func parseDockerfile(t testing.TB) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := dockerfile{Stages: map[string]*stage{}, Binaries: map[string]string{}}
	var cur *stage
	var pending string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		if m := fromRe.FindStringSubmatch(line); m != nil {
			cur = &stage{Name: m[2], From: m[1]}
			if cur.Name != "" {
				if _, dup := d.Stages[cur.Name]; dup {
					t.Errorf("Dockerfile: stage %s declared twice", cur.Name)
				}
				d.Stages[cur.Name] = cur
				d.Order = append(d.Order, cur.Name)
			}
			continue
		}
		if cur == nil {
			continue // ARG before the first FROM
		}
		cur.Lines = append(cur.Lines, line)
		if m := buildRe.FindStringSubmatch(line); m != nil {
			if _, dup := d.Binaries[m[1]]; dup {
				t.Errorf("Dockerfile: /out/%s built twice", m[1])
			}
			d.Binaries[m[1]] = m[2]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// instruction returns the arguments of every line of the stage starting with instr.
func (s *stage) instruction(instr string) []string {
	var out []string
	for _, l := range s.Lines {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], instr) {
			out = append(out, strings.TrimSpace(l[len(f[0]):]))
		}
	}
	return out
}

// goCmd returns the go command of the toolchain running the tests.
func goCmd() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
