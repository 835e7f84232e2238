package k8stest

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/webapp"
)

// binary is one program the Dockerfile builds, as a container must run it.
type binary struct {
	name    string // the Dockerfile's /out/<name>, the image pitstop/<name>
	pkg     string // ./customers/cmd/service
	port    int    // the one port it serves (API or relay endpoints, /healthz, /readyz, /metrics)
	relay   bool
	context string          // the bounded context, "" for the webapp
	env     map[string]bool // every environment variable it reads
}

// notWorkloads are Dockerfile binaries no Deployment runs: the probe inside every image
// and the all-in-one.
var notWorkloads = map[string]bool{"healthcheck": true, "pitstop": true}

// Which parts of config.Service each main reads: app.MainService the common ones plus
// Mail and TimeZone when its descriptor says so (Context.OptionsFrom), app.MainRelay
// the common ones plus Relay. A new section fails TestConfigSectionsAreAssigned until
// it is assigned here.
const (
	common   = "every process"
	relay    = "relays"
	mailer   = "contexts with Mail"
	timeZone = "contexts with TimeZone"
	api      = "services (APIs)"
)

var sections = map[reflect.Type]string{
	reflect.TypeFor[config.Postgres](): common,
	reflect.TypeFor[config.NATS]():     common,
	reflect.TypeFor[config.Log]():      common,
	reflect.TypeFor[config.HTTP]():     common,
	reflect.TypeFor[config.Relay]():    relay,
	reflect.TypeFor[config.Mail]():     mailer,
	reflect.TypeFor[config.TimeZone](): timeZone,
	reflect.TypeFor[config.Auth]():     api,
	reflect.TypeFor[config.Metrics]():  common,
}

// envTags returns the env tags of t's fields, embedded structs included.
func envTags(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
			out = append(out, name)
		} else if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, envTags(f.Type)...)
		}
	}
	return out
}

// serviceEnv is the env tags of the config.Service sections the given readers use.
func serviceEnv(t *testing.T, readers ...string) map[string]bool {
	t.Helper()
	env := map[string]bool{}
	for f := range reflect.TypeFor[config.Service]().Fields() {
		who, ok := sections[f.Type]
		if !ok {
			t.Fatalf("config.Service.%s is not assigned to the processes that read it (sections)", f.Name)
		}
		for _, r := range readers {
			if r == who {
				for _, n := range envTags(f.Type) {
					env[n] = true
				}
			}
		}
	}
	return env
}

// webappEnv is the env tags of the cfg struct in webapp/cmd/webapp/main.go (a main
// package, so read from its source), its embedded config sections by reflection.
func webappEnv(t *testing.T) map[string]bool {
	t.Helper()
	file := filepath.Join(repoRoot(t), "webapp", "cmd", "webapp", "main.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]reflect.Type{}
	for typ := range sections {
		byName[typ.Name()] = typ
	}
	env := map[string]bool{}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "cfg" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			t.Fatalf("%s: cfg is not a struct", file)
		}
		found = true
		for _, fld := range st.Fields.List {
			if len(fld.Names) == 0 { // embedded: config.X
				sel, ok := fld.Type.(*ast.SelectorExpr)
				typ, known := byName[sel.Sel.Name]
				if !ok || !known || sel.X.(*ast.Ident).Name != "config" {
					t.Fatalf("%s: cfg embeds %s, which is no config section the checks know", file, types(fld.Type))
				}
				for _, n := range envTags(typ) {
					env[n] = true
				}
				continue
			}
			if fld.Tag == nil {
				continue
			}
			tag, _ := strconv.Unquote(fld.Tag.Value)
			if name, _, _ := strings.Cut(reflect.StructTag(tag).Get("env"), ","); name != "" {
				env[name] = true
			}
		}
		return false
	})
	if !found || len(env) == 0 {
		t.Fatalf("%s: no cfg struct with env tags", file)
	}
	return env
}

func types(e ast.Expr) string {
	if s, ok := e.(*ast.SelectorExpr); ok {
		return types(s.X) + "." + s.Sel.Name
	}
	if i, ok := e.(*ast.Ident); ok {
		return i.Name
	}
	return "?"
}

var dockerfileBinary = regexp.MustCompile(`^b -o /out/(\S+) (\./\S+)$`)

// dockerfileBinaries returns the Dockerfile's "b -o /out/<name> ./<package>" lines.
func dockerfileBinaries(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := dockerfileBinary.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			out[m[1]] = m[2]
		}
	}
	if err := sc.Err(); err != nil || len(out) == 0 {
		t.Fatalf("Dockerfile: no `b -o /out/<name> ./<package>` lines (%v)", err)
	}
	return out
}

var (
	binariesOnce sync.Once
	binariesMap  map[string]*binary
	binariesErr  []string
)

// binaries returns every workload binary of the Dockerfile with what it serves and
// reads: ports from the descriptors (app.Context: Port, RelayAddr's Port+1; the
// webapp's DefaultAddr), variables from the configuration structs plus any os.Getenv or
// os.LookupEnv in the Go code the binary is built from.
func binaries(t *testing.T) map[string]*binary {
	t.Helper()
	binariesOnce.Do(func() { binariesMap, binariesErr = loadBinaries(t) })
	for _, e := range binariesErr {
		t.Error(e)
	}
	if binariesMap == nil {
		t.FailNow()
	}
	return binariesMap
}

func loadBinaries(t *testing.T) (map[string]*binary, []string) {
	var errs []string
	want := map[string]*binary{}
	for _, c := range system.Contexts(system.ContextOptions{}) {
		readers := []string{common, api}
		if c.Mail {
			readers = append(readers, mailer)
		}
		if c.TimeZone {
			readers = append(readers, timeZone)
		}
		want[c.Name+"-service"] = &binary{port: c.Port, context: c.Name, env: serviceEnv(t, readers...)}
		if c.Publishes {
			p, err := strconv.Atoi(strings.TrimPrefix(c.RelayAddr(), ":"))
			if err != nil {
				errs = append(errs, "RelayAddr "+c.RelayAddr())
			}
			want[c.RelayName()] = &binary{port: p, relay: true, context: c.Name, env: serviceEnv(t, common, relay)}
		}
	}
	wp, err := strconv.Atoi(strings.TrimPrefix(webapp.DefaultAddr, ":"))
	if err != nil {
		errs = append(errs, "webapp.DefaultAddr "+webapp.DefaultAddr)
	}
	want["webapp"] = &binary{port: wp, env: webappEnv(t)}

	out := map[string]*binary{}
	for name, pkg := range dockerfileBinaries(t) {
		if notWorkloads[name] {
			continue
		}
		b, ok := want[name]
		if !ok {
			errs = append(errs, "the Dockerfile builds "+name+" ("+pkg+"), which is no context's service or relay nor the webapp")
			continue
		}
		b.name, b.pkg = name, pkg
		extra, err := getenvIn(repoRoot(t), pkg)
		if err != nil {
			errs = append(errs, err.Error())
		}
		for _, v := range extra {
			b.env[v] = true
		}
		out[name] = b
	}
	for name := range want {
		if _, ok := out[name]; !ok {
			errs = append(errs, "the Dockerfile builds no "+name)
		}
	}
	return out, errs
}

var (
	getenvCall = regexp.MustCompile(`\bos\.(Getenv|LookupEnv|Environ|ExpandEnv|Expand)\b(\(\s*"([A-Za-z0-9_]+)"\s*\))?`)
	goListMu   sync.Mutex
)

// getenvIn returns the variables read with os.Getenv or os.LookupEnv (by literal name)
// in the repository's packages that pkg is built from; any other use of the process
// environment is an error, since the checks could not know what it reads.
func getenvIn(root, pkg string) ([]string, error) {
	goListMu.Lock()
	defer goListMu.Unlock()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`, pkg)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, &listError{pkg, err}
	}
	var vars []string
	for _, file := range strings.Fields(string(out)) {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, m := range getenvCall.FindAllStringSubmatch(string(src), -1) {
			if (m[1] != "Getenv" && m[1] != "LookupEnv") || m[3] == "" {
				return nil, &listError{pkg, &unknownEnv{file, m[0]}}
			}
			vars = append(vars, m[3])
		}
	}
	return vars, nil
}

type listError struct {
	pkg string
	err error
}

func (e *listError) Error() string { return "go list -deps " + e.pkg + ": " + e.err.Error() }

type unknownEnv struct{ file, call string }

func (e *unknownEnv) Error() string {
	return e.file + ": " + e.call + " reads the environment in a way the k8s checks cannot follow"
}

// TestConfigSectionsAreAssigned: every section of config.Service is read by some
// process, and every binary reads DATABASE_URL or NATS_URL (a sanity check that the
// reflection found the tags).
func TestConfigSectionsAreAssigned(t *testing.T) {
	t.Parallel()
	for name, b := range binaries(t) {
		if !b.env["NATS_URL"] || !b.env["HTTP_ADDR"] || !b.env["LOG_LEVEL"] {
			t.Errorf("%s reads %v: NATS_URL, HTTP_ADDR and LOG_LEVEL missing", name, b.env)
		}
		if b.context != "" && !b.env["DATABASE_URL"] {
			t.Errorf("%s reads no DATABASE_URL", name)
		}
	}
}
