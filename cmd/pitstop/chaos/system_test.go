package chaos

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/cmd/pitstop/embeddedpg"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// Contexts, as folders and schemas.
const (
	customersCtx     = "customers"
	vehiclesCtx      = "vehicles"
	workshopCtx      = "workshop"
	timekeeperCtx    = "timekeeper"
	notificationsCtx = "notifications"
	invoicingCtx     = "invoicing"
	auditlogCtx      = "auditlog"
)

// producers are the contexts with an outbox (and a cmd/cdc).
var producers = []string{customersCtx, vehiclesCtx, workshopCtx, timekeeperCtx, notificationsCtx, invoicingCtx}

// consumerSpec is a durable consumer: its schema (inbox), name, and the contexts whose
// events it receives (the consumer widens its filter to whole contexts).
type consumerSpec struct {
	schema, name string
	receives     []string
}

var consumers = []consumerSpec{
	{auditlogCtx, "auditlog", producers},
	{invoicingCtx, "invoicing", []string{customersCtx, workshopCtx, timekeeperCtx}},
	{notificationsCtx, "notifications", []string{customersCtx, workshopCtx, timekeeperCtx}},
	{workshopCtx, "workshop-refdata", []string{customersCtx, vehiclesCtx}},
}

// serviceReplicas is how many processes of each <context>/cmd/service run; the consumer
// services run consumerReplicas (they share the durable consumer).
func serviceReplicas(ctxName string, consumerReplicas int) int {
	switch ctxName {
	case workshopCtx, notificationsCtx, invoicingCtx, auditlogCtx:
		return consumerReplicas
	}
	return 1
}

// consumerServices are the contexts whose service runs a consumer.
var consumerServices = []string{workshopCtx, notificationsCtx, invoicingCtx, auditlogCtx}

// relayReplicas is how many cmd/cdc processes run per outbox: a leader and a standby.
const relayReplicas = 2

// ---------------------------------------------------------------------------------
// PostgreSQL: a private cluster that the test can crash and restart.

// pgServer is a private PostgreSQL cluster (embeddedpg) in the test's temp dir.
type pgServer struct {
	c    *embeddedpg.Cluster
	bin  string
	cred *syscall.Credential // the postgres user when the test runs as root
}

// startPostgres initialises and starts a cluster in dir on a free port, and creates the
// database "pitstop". It is stopped when t ends.
func startPostgres(t *testing.T, bin, dir string) *pgServer {
	t.Helper()
	c, err := embeddedpg.New(dir, freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &pgServer{c: c, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.pgctl("stop", "-w", "-t", "60", "-m", "fast", "-D", c.Dir); err != nil {
			t.Errorf("stop postgres: %v", err)
		}
	})
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE pitstop"); err != nil {
		t.Fatal(err)
	}
	return p
}

// URL is the database's URL.
func (p *pgServer) URL() string { return p.c.URL("pitstop") }

func (p *pgServer) pgctl(args ...string) error {
	cmd := exec.Command(filepath.Join(p.bin, "pg_ctl"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	cmd.Dir = "/"
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_ctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// crash stops the cluster in immediate mode: every backend is killed without a
// checkpoint, as in a crash (the restart runs crash recovery).
func (p *pgServer) crash() error {
	return p.pgctl("stop", "-w", "-t", "60", "-m", "immediate", "-D", p.c.Dir)
}

// start starts the cluster again and waits until it accepts connections.
func (p *pgServer) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return p.c.Start(ctx)
}

// ---------------------------------------------------------------------------------
// Processes.

// proc is one service or relay process, restarted by the chaos loop after a kill and by
// its supervisor (as an orchestrator would) after it exits on its own.
type proc struct {
	name    string // e.g. customers-cdc-2, workshop-1
	ctxName string
	relay   bool
	bin     string
	env     []string
	port    int
	logPath string
	sys     *processes

	mu      sync.Mutex
	running bool
	killed  bool // the current instance was killed on purpose
	cmd     *exec.Cmd
	done    chan struct{}
	starts  int
	exits   []string // exits nobody asked for
}

func (p *proc) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", p.port, path) }

// processes supervises every proc.
type processes struct {
	all      []*proc
	stopping atomic.Bool
	stop     chan struct{}
	wg       sync.WaitGroup

	mu   sync.Mutex
	errs []error
}

func (s *processes) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
}

func (s *processes) errors() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// start starts the process unless it is running (or the test is ending).
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running || p.sys.stopping.Load() {
		return nil
	}
	flags := os.O_CREATE | os.O_APPEND | os.O_WRONLY
	if p.starts == 0 {
		flags |= os.O_TRUNC // a kept CHAOS_LOGS directory holds the last run only
	}
	logf, err := os.OpenFile(p.logPath, flags, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "==== chaos: start #%d at %s\n", p.starts+1, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin)
	cmd.Env = append(os.Environ(), "AUTH_PUBLIC_KEY="+testutil.PublicKey()) // services refuse to start without it
	cmd.Env = append(cmd.Env, p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.running, p.killed = cmd, done, true, false
	p.starts++
	p.sys.wg.Add(1)
	go func() {
		defer p.sys.wg.Done()
		err := cmd.Wait()
		p.mu.Lock()
		expected := p.killed || p.sys.stopping.Load()
		p.running = false
		if !expected {
			p.exits = append(p.exits, fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err))
			fmt.Fprintf(logf, "==== chaos: exited by itself: %v\n", err)
		}
		_ = logf.Close()
		close(done)
		p.mu.Unlock()
		if expected {
			return
		}
		// Restart it as an orchestrator would (e.g. it gave up at start-up because
		// Postgres was down).
		select {
		case <-p.sys.stop:
			return
		case <-time.After(300 * time.Millisecond):
		}
		if err := p.start(); err != nil {
			p.sys.fail(err)
		}
	}()
	return nil
}

// kill SIGKILLs the process group and waits for the exit; false if it was not running.
func (p *proc) kill() bool {
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return false
	}
	p.killed = true
	pid, done := p.cmd.Process.Pid, p.done
	p.mu.Unlock()
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-done
	return true
}

func (p *proc) isRunning() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// shutdown kills every process group and waits for every supervisor goroutine.
func (s *processes) shutdown() {
	if s.stopping.Swap(true) {
		return
	}
	close(s.stop)
	var wg sync.WaitGroup
	for _, p := range s.all {
		wg.Go(func() { p.kill() })
	}
	wg.Wait()
	s.wg.Wait()
}

// get returns the processes of a context (relays or services).
func (s *processes) get(ctxName string, relay bool) []*proc {
	var out []*proc
	for _, p := range s.all {
		if p.ctxName == ctxName && p.relay == relay {
			out = append(out, p)
		}
	}
	return out
}

// waitReady polls every process's /readyz (services) or /healthz (relays: a standby
// is alive but not the one relaying) until it answers 200.
func (s *processes) waitReady(ctx context.Context, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for _, p := range s.all {
		path := "/readyz"
		if p.relay {
			path = "/healthz"
		}
		for {
			resp, err := client.Get(p.url(path))
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready on %s after %s (last: %v)", p.name, path, timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 4*n {
			lines = slices.Clone(lines[len(lines)-n:])
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------------
// Building.

// moduleRoot is the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// goTool is the go command: the one on PATH, else the toolchain's usual place.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// buildAll builds every <context>/cmd/service and <context>/cmd/cdc into binDir (two
// builds at a time: this is a 2-core machine) and returns the binary of each, keyed
// "<context>/service" and "<context>/cdc".
func buildAll(t *testing.T, root, binDir string) map[string]string {
	t.Helper()
	var pkgs []string
	for _, kind := range []string{"service", "cdc"} {
		dirs, _ := filepath.Glob(filepath.Join(root, "*", "cmd", kind))
		for _, d := range dirs {
			pkgs = append(pkgs, filepath.Base(filepath.Dir(filepath.Dir(d)))+"/"+kind)
		}
	}
	bins := map[string]string{}
	errs := make([]error, len(pkgs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, key := range pkgs {
		ctxName, kind, _ := strings.Cut(key, "/")
		bin := filepath.Join(binDir, ctxName+"-"+kind)
		bins[key] = bin
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(goTool(), "build", "-o", bin, "./"+ctxName+"/cmd/"+kind)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build ./%s/cmd/%s: %v\n%s", ctxName, kind, err, out)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, c := range producers {
		if bins[c+"/cdc"] == "" {
			t.Fatalf("no %s/cmd/cdc to build", c)
		}
	}
	for _, c := range append([]string{customersCtx, vehiclesCtx, timekeeperCtx}, consumerServices...) {
		if bins[c+"/service"] == "" {
			t.Fatalf("no %s/cmd/service to build", c)
		}
	}
	return bins
}

// freePort returns a loopback TCP port that was free a moment ago, below the kernel's
// ephemeral range: a killed process keeps its port for its restart, and a port in that
// range could meanwhile become the source port of some outgoing connection.
func freePort(t testing.TB) int {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 12000 {
				low = v
			}
		}
	}
	for range 1000 {
		port := 10000 + rand.IntN(low-10000)
		if usedPorts.Add(port) {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		_ = ln.Close()
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

var usedPorts = &portSet{m: map[int]bool{}}

// portSet remembers the ports handed out, so that one run never hands one out twice.
type portSet struct {
	mu sync.Mutex
	m  map[int]bool
}

// Add records port and reports whether it was there already.
func (s *portSet) Add(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[port] {
		return true
	}
	s.m[port] = true
	return false
}
