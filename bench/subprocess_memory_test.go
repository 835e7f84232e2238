package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const (
	// idleFor is how long every process idles, once all are ready, before its memory
	// is read.
	idleFor = 2 * time.Second
	// readyWithin bounds start-up (connect, migrate, /readyz 200) of each process.
	readyWithin = 60 * time.Second
	// stopWithin is how long a process may take to exit after SIGTERM.
	stopWithin = 10 * time.Second
	// buildJobs is how many `go build`s run at once (2 cores).
	buildJobs = 2
	// allInOneWebPort is where cmd/pitstop serves the web app and API gateway
	// (SYSTEM.md; system.Start has it as a literal).
	allInOneWebPort = 7005
	// relaySourceEnv selects the relays' source; they are measured tailing the log
	// (ADR 0006), and relayRSSTarget is ADR 0006's bound on an idle relay's RSS.
	relaySourceEnv = "RELAY_SOURCE=log"
	relayRSSTarget = 30.0 // MiB
)

// BenchmarkIdleMemory builds every service and relay binary (<context>/cmd/service,
// <context>/cmd/cdc), the web app (webapp/cmd/webapp) and the all-in-one cmd/pitstop,
// runs them as real processes (all the separate ones at once, as a deployment would,
// against one fresh database and an in-process JetStream; then cmd/pitstop alone, if
// its documented ports are free), lets them idle for idleFor after all answer
// /readyz, and reads VmRSS and VmHWM from /proc/<pid>/status. It then stops each with
// SIGTERM and reports its exit code and how long it took (a graceful shutdown must
// exit 0 within stopWithin). Its file is named to sort after relay_test.go so that it
// runs last: its `go build`s load the machine. The work runs once whatever b.N is (use
// -benchtime 1x).
func BenchmarkIdleMemory(b *testing.B) {
	header("BenchmarkIdleMemory")
	root, err := moduleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin, work := b.TempDir(), b.TempDir()
	mailDir := filepath.Join(work, "mail")

	// What to build: every <context>/cmd/service and <context>/cmd/cdc, the web app and
	// cmd/pitstop.
	var procs []*process
	for _, kind := range []string{"service", "cdc"} {
		dirs, _ := filepath.Glob(filepath.Join(root, "*", "cmd", kind))
		for _, d := range dirs {
			ctxName := filepath.Base(filepath.Dir(filepath.Dir(d)))
			name := ctxName
			if kind == "cdc" {
				name += "-cdc"
			}
			procs = append(procs, &process{name: name, pkg: "./" + ctxName + "/cmd/" + kind, relay: kind == "cdc"})
		}
	}
	slices.SortFunc(procs, func(x, y *process) int { return strings.Compare(x.name, y.name) })
	if len(procs) == 0 {
		b.Fatalf("no */cmd/service or */cmd/cdc under %s", root)
	}
	// The web front-end and API gateway, in front of the separate services.
	var web *process
	if _, err := os.Stat(filepath.Join(root, "webapp", "cmd", "webapp")); err == nil {
		web = &process{name: "webapp", pkg: "./webapp/cmd/webapp"}
		procs = append(procs, web)
	}
	all := &process{name: "pitstop (all-in-one)", pkg: "./cmd/pitstop", optional: true}
	buildStart := time.Now()
	buildAll(b, root, bin, append(slices.Clone(procs), all))
	buildTook := time.Since(buildStart)

	// The separate processes, all at once, on one fresh database and one JetStream.
	dbURL := testutil.Database(b)
	ns := testutil.StartNATS(b)
	common := []string{"DATABASE_URL=" + dbURL, "NATS_URL=" + ns.URL(), "SMTP_URL=", "MAIL_DIR=" + mailDir,
		"TIMEKEEPER_TIME_ZONE=Europe/Amsterdam", "LOG_LEVEL=info", "LOG_FORMAT=text"}
	for _, p := range procs {
		port := freePort(b)
		p.env = append(slices.Clone(common), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port))
		if p.relay {
			p.env = append(p.env, relaySourceEnv)
		}
		p.ready = []string{fmt.Sprintf("http://127.0.0.1:%d/readyz", port)}
	}
	if web != nil { // each service's URL, as the gateway's upstream
		for _, p := range procs {
			if p != web && !strings.HasSuffix(p.name, "-cdc") {
				web.env = append(web.env, strings.ToUpper(p.name)+"_URLS="+strings.TrimSuffix(p.ready[0], "/readyz"))
			}
		}
		web.env = append(web.env, "PITSTOP_TIMEZONE=Europe/Amsterdam")
	}
	measure(b, work, procs, dbURL)

	// The all-in-one, alone, on its documented ports (it has no setting for others).
	var busy, ports []int // cmd/pitstop's listening ports
	for _, c := range system.Contexts(system.ContextOptions{}) {
		ports = append(ports, c.Port)
		if c.Publishes {
			ports = append(ports, c.Port+1)
		}
	}
	ports = append(ports, allInOneWebPort)
	for _, port := range ports {
		if portFree(port) {
			all.ready = append(all.ready, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
		} else {
			busy = append(busy, port)
		}
	}
	if len(busy) > 0 {
		all.skipped = fmt.Sprintf("documented ports %v are in use", busy)
	} else {
		all.env = []string{"DATABASE_URL=" + testutil.Database(b), "NATS_URL=", fmt.Sprintf("PITSTOP_NATS_PORT=%d", freePort(b)),
			"PITSTOP_DATA_DIR=" + filepath.Join(work, "pitstop-data"), "PITSTOP_HOST=127.0.0.1", "SMTP_URL=",
			"TIMEKEEPER_TIME_ZONE=Europe/Amsterdam", "LOG_LEVEL=info", "LOG_FORMAT=text"}
		measure(b, work, []*process{all}, "")
	}

	// The table.
	mib := func(kb int64) float64 { return float64(kb) / 1024 }
	fmt.Printf("%d binaries built in %.1fs; separate processes run at once on one fresh database and an in-process JetStream,\n",
		len(procs)+1, buildTook.Seconds())
	fmt.Printf("measured after all answered /readyz 200 and idled %s; then SIGTERM (exit expected 0 within %s)\n", idleFor, stopWithin)
	fmt.Printf("   %-22s %8s %8s %8s %8s %9s %7s  %-6s %8s %8s  %s\n",
		"process", "RSS MiB", "anon", "file", "HWM MiB", "Go heap", "threads", "exit", "stop ms", "bin MiB", "relay source")
	row := func(p *process) {
		fmt.Printf("   %-22s %8.1f %8.1f %8.1f %8.1f %9.1f %7d  %-6s %8.0f %8.1f  %s\n", p.name, mib(p.mem.rss), mib(p.mem.anon), mib(p.mem.file),
			mib(p.mem.hwm), float64(p.heap)/(1<<20), p.mem.threads, p.exit, ms(p.stopTook), float64(p.binSize)/(1<<20), p.source)
	}
	var sum procMem
	var heap int64
	for _, p := range procs {
		row(p)
		sum.rss, sum.anon, sum.file, sum.hwm = sum.rss+p.mem.rss, sum.anon+p.mem.anon, sum.file+p.mem.file, sum.hwm+p.mem.hwm
		sum.threads += p.mem.threads
		heap += p.heap
	}
	fmt.Printf("   %-22s %8.1f %8.1f %8.1f %8.1f %9.1f %7d\n", fmt.Sprintf("sum of %d processes", len(procs)),
		mib(sum.rss), mib(sum.anon), mib(sum.file), mib(sum.hwm), float64(heap)/(1<<20), sum.threads)
	rssOf := func(ps []*process) []float64 {
		var v []float64
		for _, p := range ps {
			v = append(v, mib(p.mem.rss))
		}
		slices.Sort(v)
		return v
	}
	sorted := rssOf(procs)
	fmt.Printf("   per process RSS MiB: min %.1f  median %.1f  max %.1f\n", sorted[0], sorted[len(sorted)/2], sorted[len(sorted)-1])
	var relays []*process
	for _, p := range procs {
		if p.relay {
			relays = append(relays, p)
		}
	}
	relayRSS := rssOf(relays)
	if len(relayRSS) > 0 {
		maxRelay := relayRSS[len(relayRSS)-1]
		fmt.Printf("   relay processes (%d, %s, each leading and streaming its slot): RSS MiB min %.1f  median %.1f  max %.1f   target < %.0f MiB each: %s\n",
			len(relays), relaySourceEnv, relayRSS[0], relayRSS[len(relayRSS)/2], maxRelay, relayRSSTarget, verdict(maxRelay < relayRSSTarget))
	}
	if all.skipped == "" {
		row(all)
		fmt.Printf("   all-in-one / sum of separate processes (RSS): %.2f   (the all-in-one also runs its own JetStream server)\n",
			float64(all.mem.rss)/float64(sum.rss))
	} else {
		fmt.Printf("   %-22s skipped: %s\n", all.name, all.skipped)
	}
	fmt.Printf("   load average at end: %s\n", loadavg())

	for _, p := range append(slices.Clone(procs), all) {
		if p.exit != "" && p.exit != "0" {
			b.Errorf("%s did not shut down gracefully on SIGTERM: exit %s after %.0f ms; log tail:\n%s", p.name, p.exit, ms(p.stopTook), p.tail())
		}
	}

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mib(sum.rss), "sum_rss_MiB")
	b.ReportMetric(mib(sum.hwm), "sum_hwm_MiB")
	b.ReportMetric(sorted[len(sorted)/2], "median_rss_MiB")
	b.ReportMetric(sorted[len(sorted)-1], "max_rss_MiB")
	if len(relayRSS) > 0 {
		b.ReportMetric(relayRSS[len(relayRSS)-1], "relay_max_rss_MiB")
		b.ReportMetric(relayRSS[len(relayRSS)/2], "relay_median_rss_MiB")
	}
	if all.skipped == "" {
		b.ReportMetric(mib(all.mem.rss), "allinone_rss_MiB")
		b.ReportMetric(float64(all.mem.rss)/float64(sum.rss), "allinone/sum")
	}
}

// process is one binary run by BenchmarkIdleMemory.
type process struct {
	name, pkg, bin string
	env            []string
	ready          []string // /readyz URLs that must answer 200
	cmd            *exec.Cmd
	logPath        string
	done           chan struct{} // closed when the process has exited
	mem            procMem
	heap           int64 // go_memstats_heap_inuse_bytes from its /metrics
	exit           string
	stopTook       time.Duration
	binSize        int64  // bytes of the executable
	optional       bool   // skipped, not failed, when its ports are taken
	skipped        string // why it did not run
	relay          bool   // a <context>/cmd/cdc: must lead with the log source
	source         string // the relay's source when measured (pitstop_outbox_relay_source)
}

// procMem are figures from /proc/<pid>/status (kB, threads).
type procMem struct {
	rss, anon, file, hwm int64
	threads              int
}

// moduleRoot is the directory holding go.mod (the benchmark runs in bench/).
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

// goTool is the go command: the one on PATH, else the toolchain that built this test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// buildAll runs `go build -o` for every process, buildJobs at a time.
func buildAll(b *testing.B, root, bin string, procs []*process) {
	b.Helper()
	sem := make(chan struct{}, buildJobs)
	var wg sync.WaitGroup
	errs := make([]error, len(procs))
	for i, p := range procs {
		p.bin = filepath.Join(bin, strings.NewReplacer(" ", "", "(", "", ")", "").Replace(p.name))
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(goTool(), "build", "-o", p.bin, p.pkg)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %v\n%s", p.pkg, err, out)
				return
			}
			if fi, err := os.Stat(p.bin); err == nil {
				p.binSize = fi.Size()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
}

// measure starts procs at once, waits until every one is ready (every relay leading
// with the log source and, in database dbURL, streaming its replication slot), lets
// them idle, reads their memory and stops them with SIGTERM.
func measure(b *testing.B, work string, procs []*process, dbURL string) {
	b.Helper()
	for _, p := range procs {
		p.start(b, work)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for _, p := range procs {
		for _, u := range p.ready {
			deadline := time.Now().Add(readyWithin)
			for get(client, u) != http.StatusOK {
				select {
				case <-p.done:
					if p.optional && strings.Contains(p.tail(), "address already in use") {
						p.skipped = "a documented port was taken during its start-up"
						return
					}
					b.Fatalf("%s exited during start-up (%s); log tail:\n%s", p.name, p.cmd.ProcessState, p.tail())
				default:
				}
				if time.Now().After(deadline) {
					b.Fatalf("%s: %s not 200 within %s; log tail:\n%s", p.name, u, readyWithin, p.tail())
				}
				time.Sleep(20 * time.Millisecond) // polling an external process
			}
		}
	}
	// Every relay leads and streams its replication slot (its source gauge says log)
	// before the idle period starts.
	for _, p := range procs {
		if !p.relay {
			continue
		}
		metrics := strings.TrimSuffix(p.ready[0], "/readyz") + "/metrics"
		deadline := time.Now().Add(readyWithin)
		for p.source = relaySource(client, metrics); p.source != "log"; p.source = relaySource(client, metrics) {
			if time.Now().After(deadline) {
				b.Fatalf("%s: not leading with the log source %s after start-up (source %q); log tail:\n%s",
					p.name, readyWithin, p.source, p.tail())
			}
			time.Sleep(20 * time.Millisecond) // polling an external process
		}
	}
	if relays := countRelays(procs); relays > 0 && dbURL != "" {
		conn, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			b.Fatal(err)
		}
		var active int
		pollUntil(b, readyWithin, func() bool {
			err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_replication_slots
				WHERE database = current_database() AND active`).Scan(&active)
			return err == nil && active >= relays
		}, fmt.Sprintf("%d relays to stream their replication slots", relays))
		conn.Close(context.Background())
	}
	time.Sleep(idleFor) // the idle period being measured, not synchronisation
	for _, p := range procs {
		m, err := readStatus(p.cmd.Process.Pid)
		if err != nil {
			b.Fatalf("%s: %v", p.name, err)
		}
		p.mem = m
		p.heap = heapInUse(client, strings.TrimSuffix(p.ready[0], "/readyz")+"/metrics")
		if p.relay {
			p.source = relaySource(client, strings.TrimSuffix(p.ready[0], "/readyz")+"/metrics")
		}
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.stop() })
	}
	wg.Wait()
	client.CloseIdleConnections()
}

// start runs the binary with its environment, its output in a log file.
func (p *process) start(b *testing.B, work string) {
	b.Helper()
	p.logPath = filepath.Join(work, filepath.Base(p.bin)+".log")
	logFile, err := os.Create(p.logPath)
	if err != nil {
		b.Fatal(err)
	}
	p.cmd = exec.Command(p.bin)
	p.cmd.Dir = work
	p.cmd.Env = append(os.Environ(), "AUTH_PUBLIC_KEY="+testutil.PublicKey()) // services refuse to start without it
	p.cmd.Env = append(p.cmd.Env, p.env...)                                   // later entries win
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		b.Fatalf("start %s: %v", p.name, err)
	}
	p.done = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	b.Cleanup(func() { // a benchmark that failed half-way leaves nothing running
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// stop sends SIGTERM and waits up to stopWithin for the exit, then kills the process.
func (p *process) stop() {
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.exit = "gone"
		return
	}
	select {
	case <-p.done:
		p.stopTook = time.Since(start)
		st := p.cmd.ProcessState
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.exit = "sig " + strconv.Itoa(int(ws.Signal()))
		} else {
			p.exit = strconv.Itoa(st.ExitCode())
		}
	case <-time.After(stopWithin):
		p.stopTook = time.Since(start)
		p.exit = "hung"
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail is the end of the process's log.
func (p *process) tail() string {
	data, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return "      " + strings.Join(lines[max(0, len(lines)-15):], "\n      ")
}

// readStatus reads VmRSS, RssAnon, RssFile, VmHWM (kB) and Threads of pid.
func readStatus(pid int) (procMem, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMem{}, err
	}
	var m procMem
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = n
		case "RssAnon:":
			m.anon = n
		case "RssFile:":
			m.file = n
		case "VmHWM:":
			m.hwm = n
		case "Threads:":
			m.threads = int(n)
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}

// heapInUse reads go_memstats_heap_inuse_bytes from a Prometheus text endpoint (0 if
// it cannot).
func heapInUse(client *http.Client, url string) int64 {
	res, err := client.Get(url)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int64(f)
			}
		}
	}
	return 0
}

// countRelays is how many of procs are relays.
func countRelays(procs []*process) int {
	n := 0
	for _, p := range procs {
		if p.relay {
			n++
		}
	}
	return n
}

// relaySource reads a relay's source from its pitstop_outbox_relay_source gauge (the
// label of the series at 1: "log" or "poll"; "" while it does not lead or when the
// endpoint does not answer).
func relaySource(client *http.Client, url string) string {
	res, err := client.Get(url)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "pitstop_outbox_relay_source{") || !strings.HasSuffix(line, "} 1") {
			continue
		}
		for _, src := range []string{"log", "poll"} {
			if strings.Contains(line, `source="`+src+`"`) {
				return src
			}
		}
	}
	return ""
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// portFree reports whether port can be bound on 127.0.0.1 now.
func portFree(port int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
