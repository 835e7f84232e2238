package deploytest

import (
	"crypto/ed25519"
	"fmt"
	"maps"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/auth"
)

func TestComposeEveryServiceHasAHealthcheck(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	if len(p.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	for _, name := range sortedNames(p) {
		hc := p.Services[name].HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
			t.Errorf("service %s has no health check", name)
		}
	}
	for _, g := range goServices(t, p) {
		hc := g.Svc.HealthCheck
		if hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" || hc.Test[1] != "/healthcheck" {
			t.Errorf("service %s: health check %v, want [CMD /healthcheck ...] (the probe of /readyz in every image)", g.Name, hc)
		}
	}
}

func TestComposeStartsOnlyOnHealthyDependencies(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	for _, name := range sortedNames(p) {
		deps := p.Services[name].DependsOn
		for _, dep := range slices.Sorted(maps.Keys(deps)) {
			if d := deps[dep]; d.Condition != types.ServiceConditionHealthy {
				t.Errorf("service %s depends on %s with condition %q, want %q", name, dep, d.Condition, types.ServiceConditionHealthy)
			}
		}
	}
	for _, g := range goServices(t, p) {
		infra := []string{"nats"}
		if env(g.Svc, "DATABASE_URL") != "" || g.Context != "webapp" {
			infra = append(infra, "postgres")
		}
		for _, infra := range infra {
			if _, ok := g.Svc.DependsOn[infra]; !ok {
				t.Errorf("service %s does not wait for a healthy %s (depends_on)", g.Name, infra)
			}
		}
	}
}

func TestComposeBuildTargetsAreDockerfileStages(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	d := parseDockerfile(t)
	used := map[string]bool{}
	for _, name := range sortedNames(p) {
		b := p.Services[name].Build
		if b == nil {
			continue
		}
		if b.Target == "" {
			t.Errorf("service %s builds without a target (the Dockerfile's first stage would be used)", name)
			continue
		}
		if b.Dockerfile != "" && filepath.Base(b.Dockerfile) != "Dockerfile" {
			t.Errorf("service %s builds from %s, want the one Dockerfile", name, b.Dockerfile)
		}
		if b.Context != repoRoot(t) {
			t.Errorf("service %s: build context %s, want the repository root %s", name, b.Context, repoRoot(t))
		}
		if _, ok := d.Stages[b.Target]; !ok {
			t.Errorf("service %s builds target %q, which is not a `FROM ... AS %s` stage of the Dockerfile (stages: %v)",
				name, b.Target, b.Target, d.Order)
		}
		used[b.Target] = true
	}
	for _, g := range goServices(t, p) {
		if g.Target != g.wantTarget() {
			t.Errorf("service %s is built from target %s, want %s", g.Name, g.Target, g.wantTarget())
		}
	}
	// Every per-process image is run by compose (pitstop is the all-in-one instead).
	for name := range d.Binaries {
		if name == "healthcheck" || name == "pitstop" {
			continue
		}
		if !used[name] {
			t.Errorf("Dockerfile builds %s but no compose service runs it", name)
		}
	}
}

func TestComposePortsMatchSystemSpec(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	d := parseDockerfile(t)
	published := map[string][]string{} // context(-cdc) -> services publishing it
	for _, g := range goServices(t, p) {
		want := g.Port
		addr := env(g.Svc, "HTTP_ADDR")
		if got, err := portOf(addr); err != nil || got != want {
			t.Errorf("service %s: HTTP_ADDR %q, want port %d", g.Name, addr, want)
		}
		if st, ok := d.Stages[g.Target]; ok {
			if envs := st.instruction("ENV"); !slices.Contains(envs, fmt.Sprintf("HTTP_ADDR=:%d", want)) {
				t.Errorf("Dockerfile stage %s: ENV %v, want HTTP_ADDR=:%d", g.Target, envs, want)
			}
			if ex := st.instruction("EXPOSE"); !slices.Contains(ex, strconv.Itoa(want)) {
				t.Errorf("Dockerfile stage %s: EXPOSE %v, want %d", g.Target, ex, want)
			}
		}
		for _, pc := range g.Svc.Ports {
			if int(pc.Target) != want || pc.Published != strconv.Itoa(want) {
				t.Errorf("service %s publishes %s:%d, want %d:%d (SYSTEM.md section 6)", g.Name, pc.Published, pc.Target, want, want)
			}
		}
		key := g.Context
		if g.Relay {
			key += "-cdc"
		}
		if len(g.Svc.Ports) > 0 {
			published[key] = append(published[key], g.Name)
		} else if !slices.Contains([]string(g.Svc.Expose), strconv.Itoa(want)) {
			t.Errorf("service %s neither publishes nor exposes its port %d", g.Name, want)
		}
	}
	// Every context and relay is reachable on its documented host port, exactly once.
	for _, c := range system.Contexts(system.ContextOptions{}) {
		if specPorts[c.Name] != c.Port {
			t.Errorf("%s.Context runs on %d, SYSTEM.md says %d", c.Name, c.Port, specPorts[c.Name])
		}
		keys := []string{c.Name}
		if c.Publishes {
			keys = append(keys, c.RelayName())
		}
		for _, k := range keys {
			if n := len(published[k]); n != 1 {
				t.Errorf("%s is published on its host port by %d compose services %v, want exactly 1", k, n, published[k])
			}
		}
	}
	for ctx := range specPorts {
		if len(published[ctx]) != 1 {
			t.Errorf("%s (SYSTEM.md section 6) is published by %d compose services %v, want exactly 1", ctx, len(published[ctx]), published[ctx])
		}
	}
}

func TestComposeRelaysListenOnServicePortPlusOne(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	svcPort := map[string]int{}
	var relays []goService
	for _, g := range goServices(t, p) {
		port, err := portOf(env(g.Svc, "HTTP_ADDR"))
		if err != nil {
			t.Errorf("service %s: %v", g.Name, err)
			continue
		}
		if g.Relay {
			relays = append(relays, g)
			continue
		}
		svcPort[g.Context] = port
	}
	if len(relays) == 0 {
		t.Fatal("no relay (cmd/cdc) in docker-compose.yml")
	}
	for _, r := range relays {
		sp, ok := svcPort[r.Context]
		if !ok {
			t.Errorf("relay %s has no %s service", r.Name, r.Context)
			continue
		}
		if got, _ := portOf(env(r.Svc, "HTTP_ADDR")); got != sp+1 {
			t.Errorf("relay %s listens on %d, want %s's port + 1 = %d", r.Name, got, r.Context, sp+1)
		}
	}
	// Every context that publishes has its relay in compose.
	for _, c := range system.Contexts(system.ContextOptions{}) {
		if !c.Publishes {
			continue
		}
		if _, ok := p.Services[c.RelayName()]; !ok {
			t.Errorf("context %s publishes events but compose runs no %s relay", c.Name, c.RelayName())
		}
	}
}

func TestComposeNATSHasJetStreamOnAVolume(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	n, ok := p.Services["nats"]
	if !ok {
		t.Fatal("no nats service")
	}
	cmd := []string(n.Command)
	if !slices.Contains(cmd, "-js") && !slices.Contains(cmd, "--jetstream") {
		t.Errorf("nats command %v does not enable JetStream (-js/--jetstream)", cmd)
	}
	store := ""
	for i, a := range cmd {
		if (a == "-sd" || a == "--store_dir") && i+1 < len(cmd) {
			store = cmd[i+1]
		}
	}
	if store == "" {
		t.Fatalf("nats command %v sets no JetStream store directory (-sd/--store_dir)", cmd)
	}
	checkNamedVolume(t, p, "nats", store)
	checkNamedVolume(t, p, "postgres", "/var/lib/postgresql/data")
	for _, g := range goServices(t, p) {
		if u := env(g.Svc, "NATS_URL"); hostOf(t, g.Name, u) != "nats" {
			t.Errorf("service %s: NATS_URL %q, want the nats service", g.Name, u)
		}
		if u := env(g.Svc, "DATABASE_URL"); g.Context != "webapp" && hostOf(t, g.Name, u) != "postgres" {
			t.Errorf("service %s: DATABASE_URL %q, want the postgres service", g.Name, u)
		}
	}
}

// checkNamedVolume fails unless service mounts a named (persistent) volume at target.
func checkNamedVolume(t *testing.T, p *types.Project, service, target string) {
	t.Helper()
	for _, v := range p.Services[service].Volumes {
		if v.Target != target {
			continue
		}
		if v.Type != types.VolumeTypeVolume {
			t.Errorf("%s: %s is a %s mount, want a named volume", service, target, v.Type)
		}
		if _, ok := p.Volumes[v.Source]; !ok {
			t.Errorf("%s: volume %q is not declared under volumes:", service, v.Source)
		}
		return
	}
	t.Errorf("%s: no volume mounted at %s (its data would not survive the container)", service, target)
}

func hostOf(t *testing.T, service, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Errorf("service %s: %q: %v", service, raw, err)
		return ""
	}
	return u.Hostname()
}

func TestComposeRunsTwoWorkshopAPIsBehindTheWebapp(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	var replicas []string
	for _, g := range goServices(t, p) {
		if g.Context != "workshop" || g.Relay {
			continue
		}
		if g.Svc.Deploy != nil && g.Svc.Deploy.Replicas != nil && *g.Svc.Deploy.Replicas != 1 {
			t.Errorf("service %s: deploy.replicas %d; run replicas as named services so each is addressable", g.Name, *g.Svc.Deploy.Replicas)
		}
		replicas = append(replicas, g.Name)
	}
	if len(replicas) < 2 {
		t.Fatalf("workshop API instances %v, want two", replicas)
	}
	w, ok := p.Services["webapp"]
	if !ok {
		t.Fatal("no webapp service")
	}
	urls := strings.Split(env(w, "WORKSHOP_URLS"), ",")
	for _, r := range replicas {
		if want := "http://" + r + ":5200"; !slices.Contains(urls, want) {
			t.Errorf("webapp WORKSHOP_URLS %v does not list %s", urls, want)
		}
	}
}

func TestComposeWebappReachesEveryAPI(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	w, ok := p.Services["webapp"]
	if !ok {
		t.Fatal("no webapp service")
	}
	for ctx, port := range specPorts {
		if ctx == "webapp" {
			continue
		}
		key := strings.ToUpper(ctx) + "_URLS"
		raw := env(w, key)
		if raw == "" {
			t.Errorf("webapp: %s is not set (it would default to 127.0.0.1, inside its own container)", key)
			continue
		}
		for _, u := range strings.Split(raw, ",") {
			pu, err := url.Parse(u)
			if err != nil {
				t.Errorf("webapp %s: %q: %v", key, u, err)
				continue
			}
			s, ok := p.Services[pu.Hostname()]
			if !ok {
				t.Errorf("webapp %s lists %s, which is no compose service", key, u)
				continue
			}
			if pu.Port() != strconv.Itoa(port) || env(s, "HTTP_ADDR") != ":"+pu.Port() {
				t.Errorf("webapp %s lists %s, but %s listens on %s (SYSTEM.md: %d)", key, u, pu.Hostname(), env(s, "HTTP_ADDR"), port)
			}
			if _, ok := w.DependsOn[pu.Hostname()]; !ok {
				t.Errorf("webapp does not wait for %s (depends_on)", pu.Hostname())
			}
		}
	}
}

func TestComposeMailersUseMailDev(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	if _, ok := p.Services["maildev"]; !ok {
		t.Fatal("no maildev service")
	}
	for _, name := range []string{"notifications", "invoicing"} {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("no %s service", name)
			continue
		}
		if got := env(s, "SMTP_URL"); got != "smtp://maildev:1025" {
			t.Errorf("%s: SMTP_URL %q, want smtp://maildev:1025", name, got)
		}
	}
}

func TestDockerfileBuildsEveryMainPackage(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	d := parseDockerfile(t)
	if len(d.Binaries) == 0 {
		t.Fatal("the Dockerfile builds no /out/<binary>")
	}
	// Every final stage copies its own binary; every built binary lands in an image.
	for name := range d.Binaries {
		if name == "healthcheck" {
			continue
		}
		st, ok := d.Stages[name]
		if !ok {
			t.Errorf("Dockerfile builds /out/%s but has no stage %s", name, name)
			continue
		}
		if copies := st.instruction("COPY"); !slices.Contains(copies, fmt.Sprintf("--from=build /out/%s /app", name)) {
			t.Errorf("stage %s does not COPY --from=build /out/%s /app (COPY %v)", name, name, copies)
		}
	}
	if rt, ok := d.Stages["runtime"]; !ok || !slices.Contains(rt.instruction("COPY"), "--from=build /out/healthcheck /healthcheck") {
		t.Error("the runtime stage does not carry /healthcheck")
	}
	// The packages exist and are commands.
	var pkgs []string
	for _, pkg := range d.Binaries {
		pkgs = append(pkgs, pkg)
	}
	slices.Sort(pkgs)
	args := append([]string{"list", "-e", "-find", "-f", "{{.Dir}}|{{.Name}}|{{with .Error}}{{.}}{{end}}"}, pkgs...)
	cmd := exec.Command(goCmd(), args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", pkgs, err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "|", 3)
		if len(f) != 3 || f[1] != "main" || f[2] != "" {
			t.Errorf("the Dockerfile builds a package that is not a Go command (dir|package|error): %q", line)
		}
	}
	// Conversely, every command of the repository is built.
	cmd = exec.Command(goCmd(), "list", "-e", "-find", "-f", "{{if eq .Name \"main\"}}{{.Dir}}{{end}}", "./...")
	cmd.Dir = root
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, out)
	}
	built := map[string]bool{}
	for _, pkg := range d.Binaries {
		built[filepath.Join(root, filepath.FromSlash(pkg))] = true
	}
	for _, dir := range strings.Fields(string(out)) {
		rel, _ := filepath.Rel(root, dir)
		isCmd := strings.Contains(filepath.ToSlash(rel), "cmd/") || rel == filepath.Join("deploy", "healthcheck")
		if isCmd && !built[dir] {
			t.Errorf("command ./%s is not built by the Dockerfile", filepath.ToSlash(rel))
		}
	}
}

// TestDockerfileBuildsEachContextsProcesses checks the Dockerfile against the context
// descriptors (system.Contexts, read by the all-in-one): a service image per context,
// a relay image exactly for the contexts that publish, each built from the context's
// own cmd package and listening on the descriptor's port.
func TestDockerfileBuildsEachContextsProcesses(t *testing.T) {
	t.Parallel()
	d := parseDockerfile(t)
	contexts := system.Contexts(system.ContextOptions{})
	if len(contexts) != len(specPorts)-1 { // specPorts also holds the webapp
		t.Errorf("system.Contexts has %d contexts, SYSTEM.md section 6 %d", len(contexts), len(specPorts)-1)
	}
	for _, c := range contexts {
		procs := map[string]struct {
			pkg  string
			addr string
			want bool
		}{
			c.Name + "-service": {"./" + c.Name + "/cmd/service", c.Addr(), true},
			c.RelayName():       {"./" + c.Name + "/cmd/cdc", c.RelayAddr(), c.Publishes},
		}
		for _, name := range slices.Sorted(maps.Keys(procs)) {
			want := procs[name]
			pkg, built := d.Binaries[name]
			switch {
			case built != want.want:
				t.Errorf("Dockerfile builds /out/%s: %t, want %t (%s.Context.Publishes = %t)", name, built, want.want, c.Name, c.Publishes)
				continue
			case !built:
				continue
			case pkg != want.pkg:
				t.Errorf("Dockerfile builds /out/%s from %s, want %s", name, pkg, want.pkg)
			}
			if st, ok := d.Stages[name]; ok && !slices.Contains(st.instruction("ENV"), "HTTP_ADDR="+want.addr) {
				t.Errorf("Dockerfile stage %s: ENV %v, want HTTP_ADDR=%s (%s.Context)", name, st.instruction("ENV"), want.addr, c.Name)
			}
		}
	}
}

// TestComposeAPIsTrustTheWebappsTokens: every API verifies tokens with the public half
// of the key the web app signs them with (ADR 0007); a relay needs no key.
func TestComposeAPIsTrustTheWebappsTokens(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	var signing string
	for _, g := range goServices(t, p) {
		if g.Context == "webapp" {
			signing = env(g.Svc, "AUTH_SIGNING_KEY")
		}
	}
	key, err := auth.ParsePrivateKey(signing)
	if err != nil {
		t.Fatalf("webapp AUTH_SIGNING_KEY: %v", err)
	}
	want := auth.EncodePublicKey(key.Public().(ed25519.PublicKey))
	for _, g := range goServices(t, p) {
		got := env(g.Svc, "AUTH_PUBLIC_KEY")
		switch {
		case g.Context == "webapp" || g.Relay:
			if got != "" {
				t.Errorf("%s has AUTH_PUBLIC_KEY but serves no API", g.Name)
			}
		case got != want:
			t.Errorf("%s: AUTH_PUBLIC_KEY %q, want the web app's public key %q", g.Name, got, want)
		}
	}
}
