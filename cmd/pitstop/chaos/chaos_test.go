package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the Etc/GMT zones, on machines without a zone database

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/cmd/pitstop/embeddedpg"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// Fault kinds.
const (
	faultRelay    = "relay kill"
	faultConsumer = "consumer kill"
	faultNATS     = "NATS restart"
	faultPostgres = "Postgres crash-restart"
)

var faultKinds = []string{faultRelay, faultConsumer, faultNATS, faultPostgres}

const (
	// minEach is how often each kind of fault must happen in a run: when the commands
	// are done before, the chaos loop goes on with the missing kinds only.
	minEach = 2
	// The pause between two faults is random in [minGap, maxGap).
	minGap = 1000 * time.Millisecond
	maxGap = 3000 * time.Millisecond
	// A killed process is restarted after a random pause up to maxDown; NATS and
	// Postgres stay down as long.
	maxDown = 1500 * time.Millisecond
)

// TestChaos runs the whole system as separate processes under faults and checks that
// nothing was lost, duplicated or reordered. See the package documentation.
func TestChaos(t *testing.T) {
	pgBin, err := embeddedpg.FindBinDir()
	if err != nil {
		t.Skipf("chaos test needs the PostgreSQL server binaries: %v", err)
	}
	commands := 2000
	if v := os.Getenv("CHAOS_COMMANDS"); v != "" {
		if commands, err = strconv.Atoi(v); err != nil || commands < 200 {
			t.Fatalf("CHAOS_COMMANDS=%q: want a number >= 200", v)
		}
	}
	seed := rand.Uint64()
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", v, err)
		}
	}
	replicas := 2
	if v := os.Getenv("CHAOS_CONSUMER_REPLICAS"); v != "" {
		if replicas, err = strconv.Atoi(v); err != nil || replicas < 1 {
			t.Fatalf("CHAOS_CONSUMER_REPLICAS=%q: want a number >= 1", v)
		}
	}
	report(t, "chaos: %d commands, seed %d (CHAOS_SEED=%d reproduces the fault schedule)", commands, seed, seed)
	began := time.Now()

	// Binaries, Postgres, JetStream, SMTP.
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bins := buildAll(t, root, t.TempDir())
	buildTook := time.Since(began)
	logDir := os.Getenv("CHAOS_LOGS")
	if logDir == "" {
		logDir = t.TempDir()
	} else if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg := startPostgres(t, pgBin, filepath.Join(t.TempDir(), "pg"))
	ns := testutil.StartNATS(t)
	natsURL := ns.URL() // read once: Restart replaces the server
	smtp := testutil.StartSMTP(t)
	loc, zone, err := garageZone(time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// The processes.
	procs := &processes{stop: make(chan struct{})}
	common := []string{"DATABASE_URL=" + pg.URL(), "NATS_URL=" + natsURL, "SMTP_URL=" + smtp.URL(),
		"MAIL_DIR=" + filepath.Join(logDir, "mail"), "TIMEKEEPER_TIME_ZONE=" + zone, "LOG_LEVEL=info", "LOG_FORMAT=text"}
	add := func(ctxName string, relay bool, replica int) {
		kind, name := "service", fmt.Sprintf("%s-%d", ctxName, replica)
		if relay {
			kind, name = "cdc", fmt.Sprintf("%s-cdc-%d", ctxName, replica)
		}
		p := &proc{name: name, ctxName: ctxName, relay: relay, bin: bins[ctxName+"/"+kind], port: freePort(t),
			logPath: filepath.Join(logDir, name+".log"), sys: procs}
		p.env = append(slices.Clone(common), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", p.port))
		procs.all = append(procs.all, p)
	}
	for _, c := range []string{customersCtx, vehiclesCtx, workshopCtx, timekeeperCtx, notificationsCtx, invoicingCtx, auditlogCtx} {
		for r := range serviceReplicas(c, replicas) {
			add(c, false, r+1)
		}
	}
	for _, c := range producers {
		for r := range relayReplicas {
			add(c, true, r+1)
		}
	}
	t.Cleanup(func() {
		procs.shutdown()
		if t.Failed() {
			for _, p := range procs.all {
				t.Logf("---- tail of %s (%s)\n%s", p.name, p.logPath, tail(p.logPath, 25))
			}
			t.Logf("---- tail of postgres (%s)\n%s", filepath.Join(pg.c.Dir, "server.log"), tail(filepath.Join(pg.c.Dir, "server.log"), 25))
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, p := range procs.all {
		if err := p.start(); err != nil {
			t.Fatal(err)
		}
	}
	if err := procs.waitReady(ctx, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	startTook := time.Since(began) - buildTook

	db, err := pgxpool.New(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * workers, IdleConnTimeout: 30 * time.Second}
	d := &driver{procs: procs, client: &http.Client{Timeout: 15 * time.Second,
		Transport: testutil.TokenTransport{Base: tr, Token: testutil.Token(t, auth.Administrator)}}}
	t.Cleanup(tr.CloseIdleConnections)

	// The first business day (T0) starts when the timekeeper does; notifications and
	// invoicing must have seen it before any job exists, so that it reminds and
	// invoices nothing.
	var today string
	testutil.Eventually(t, 60*time.Second, func() bool { today, err = d.businessDay(); return err == nil },
		"timekeeper starts the first business day")
	if err := waitCaughtUp(ctx, db, consumers, 60*time.Second); err != nil {
		_, js := ns.Connect(t)
		t.Fatalf("%v\nstate:\n%s", err, diagnose(ctx, db, js, procs))
	}
	// The planning days: enough room for the jobs (about 40% of the commands).
	days := max(3, (commands*40/100+379)/380)
	if d.m, err = newModel(loc, today, days); err != nil {
		t.Fatal(err)
	}
	// Commands: the mixed phase, then per planning day an advance of the business day
	// and, between two advances, a batch of finishes (invoiced at the next advance).
	finishBatch := max(10, commands*6/100/(days-1))
	mixed := commands - days - finishBatch*(days-1)
	report(t, "chaos: garage time zone %s, business day %s, planning days %s..%s; %d mixed commands, %d advances, %d x %d finishes between them",
		zone, today, d.m.days[0], d.m.days[days-1], mixed, days, days-1, finishBatch)

	// The chaos.
	ch := &chaos{rng: rand.New(rand.NewPCG(seed, 0x0c4a05)), procs: procs, pg: pg, ns: ns, began: began,
		client: &http.Client{Timeout: 2 * time.Second}, counts: map[string]int{}, kinds: map[string]int{},
		maxFaults: 40 + commands/100}
	stopChaos, chaosDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(chaosDone)
		if os.Getenv("CHAOS_NO_FAULTS") == "" {
			ch.run(stopChaos)
		}
	}()
	endChaos := sync.OnceFunc(func() {
		close(stopChaos)
		<-chaosDone
		ch.restarts.Wait()
	})
	t.Cleanup(func() {
		ch.abort.Store(true) // a failed test wants no more faults
		endChaos()
	})

	cmdBegan := time.Now()
	err = d.run(ctx, mixed, seed, d.nextMixed)
	mixedTook := time.Since(cmdBegan)
	var caughtUpTook time.Duration // waiting for notifications and invoicing before and after each advance
	waitCaughtUp := func(specs []consumerSpec) error {
		began := time.Now()
		defer func() { caughtUpTook += time.Since(began) }()
		// Three minutes: under make test's parallel load, with faults every couple of
		// seconds, draining ~1,500 events took longer than the 90 s this used to allow
		// (twice on 2026-12-06; the same seed passes alone).
		return waitCaughtUp(ctx, db, specs, 3*time.Minute)
	}
	for e := 1; err == nil && e <= days; e++ {
		// The day begins only once notifications and invoicing know every job and
		// finish so far (then the reminders and invoices are determined), and the next
		// finishes wait until they have handled the day's start.
		specs := []consumerSpec{consumers[1], consumers[2]}
		if err = waitCaughtUp(specs); err != nil {
			break
		}
		if err = d.exec(ctx, d.m.advanceDay(e, d)); err != nil {
			break
		}
		if e == days {
			break
		}
		if err = waitCaughtUp(specs); err != nil {
			break
		}
		err = d.run(ctx, finishBatch, seed+uint64(e), d.nextFinish)
	}
	cmdTook := time.Since(cmdBegan)
	endChaos()
	if err != nil {
		_, js := ns.Connect(t)
		t.Fatalf("driving the commands: %v\nchaos so far:\n%s\nstate:\n%s", err, ch.timeline(), diagnose(ctx, db, js, procs))
	}
	if err := procs.errors(); err != nil {
		t.Fatalf("process supervision: %v", err)
	}
	if err := ch.errors(); err != nil {
		t.Fatalf("chaos: %v", err)
	}

	// Everything up again; wait for the system to settle.
	for _, p := range procs.all {
		if err := p.start(); err != nil {
			t.Fatal(err)
		}
	}
	_, js := ns.Connect(t)
	drainBegan := time.Now()
	if err := waitQuiet(ctx, db, js, 3*time.Minute); err != nil {
		t.Errorf("%v\nstate:\n%s", err, diagnose(ctx, db, js, procs)) // the checker below says more
	}
	drainTook := time.Since(drainBegan)

	found, fig, err := check(ctx, db, js, d.m, smtp.Messages(), ch.killedServices())
	if err != nil {
		t.Fatalf("checker: %v", err)
	}

	// Figures.
	d.m.mu.Lock()
	var kinds []string
	for _, k := range commandKinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, d.m.counts[k]))
	}
	total := d.m.total()
	d.m.mu.Unlock()
	var exits []string
	for _, p := range procs.all {
		p.mu.Lock()
		if len(p.exits) > 0 {
			exits = append(exits, fmt.Sprintf("%s x%d (last: %s)", p.name, len(p.exits), p.exits[len(p.exits)-1]))
		}
		p.mu.Unlock()
	}
	report(t, "chaos figures (seed %d):", seed)
	report(t, "  commands      %d succeeded in %.1fs (%.0f/s): %s", total, cmdTook.Seconds(), float64(total)/cmdTook.Seconds(), strings.Join(kinds, ", "))
	report(t, "                %d retried attempts; %d commands had an attempt of unknown outcome (5xx, connection lost)", d.retries.Load(), d.ambiguous.Load())
	report(t, "  events        %d committed, %d stream messages (%d duplicate copies), %d inbox rows; %d reminders, %d invoices, %d mails delivered (%d duplicate deliveries)",
		fig.events, fig.streamMsgs, fig.streamDuplicates, fig.inboxRows, fig.reminders, fig.invoices, fig.mailsDelivered, fig.mailDuplicates)
	report(t, "  faults        %s", ch.summary())
	if len(exits) > 0 {
		report(t, "  self-exits    %s (restarted by the supervisor)", strings.Join(exits, "; "))
	}
	report(t, "  durations     total %.1fs: build %.1fs, start %.1fs, commands %.1fs (mixed %.1fs; advances and finishes %.1fs, of which %.1fs waiting for notifications and invoicing to catch up), drain %.1fs",
		time.Since(began).Seconds(), buildTook.Seconds(), startTook.Seconds(), cmdTook.Seconds(), mixedTook.Seconds(),
		(cmdTook - mixedTook).Seconds(), caughtUpTook.Seconds(), drainTook.Seconds())
	if testing.Verbose() || t.Failed() || !found.empty() {
		t.Logf("chaos timeline:\n%s", ch.timeline())
	}
	if total < commands {
		t.Errorf("only %d commands succeeded, want at least %d", total, commands)
	}
	for _, k := range faultKinds {
		if ch.kinds[k] < minEach && os.Getenv("CHAOS_NO_FAULTS") == "" {
			t.Errorf("only %d %s in this run, want at least %d", ch.kinds[k], k, minEach)
		}
	}
	if !found.empty() {
		t.Errorf("the checker found:\n%s", found)
	}
}

// report logs a figure and prints it on stdout (make chaos shows it without -v).
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	fmt.Printf(format+"\n", args...)
}

// garageZone returns a fixed-offset zone in which it is about noon now, so that no
// real midnight (the timekeeper's own day change) falls within the run.
func garageZone(now time.Time) (*time.Location, string, error) {
	off := 12 - now.UTC().Hour() // -11..12
	name := "Etc/GMT"
	switch {
	case off > 0:
		name = fmt.Sprintf("Etc/GMT-%d", off) // POSIX sign: Etc/GMT-2 is UTC+2
	case off < 0:
		name = fmt.Sprintf("Etc/GMT+%d", -off)
	}
	loc, err := time.LoadLocation(name)
	return loc, name, err
}

// chaos injects faults at random moments from a seeded generator.
type chaos struct {
	rng       *rand.Rand // only the chaos goroutine uses it
	procs     *processes
	pg        *pgServer
	ns        *testutil.NATSServer
	client    *http.Client
	began     time.Time
	maxFaults int
	restarts  sync.WaitGroup
	abort     atomic.Bool // stop at once, minimums or not

	mu     sync.Mutex
	counts map[string]int // detailed: "relay kill (leader)", "consumer kill notifications", ...
	kinds  map[string]int // by fault kind
	log    []string
	errs   []error
}

func (c *chaos) record(kind, detail string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kinds[kind]++
	line := fmt.Sprintf("%7.2fs  %s", time.Since(c.began).Seconds(), fmt.Sprintf(detail, args...))
	c.log = append(c.log, line)
}

func (c *chaos) count(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[key]++
}

func (c *chaos) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, err)
	c.log = append(c.log, fmt.Sprintf("%7.2fs  ERROR %v", time.Since(c.began).Seconds(), err))
}

func (c *chaos) errors() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d fault injections failed, first: %w", len(c.errs), c.errs[0])
}

func (c *chaos) timeline() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.log, "\n")
}

func (c *chaos) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, k := range faultKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, c.kinds[k]))
	}
	var details []string
	for _, k := range slices.Sorted(mapKeys(c.counts)) {
		details = append(details, fmt.Sprintf("%s %d", k, c.counts[k]))
	}
	return strings.Join(parts, ", ") + "\n                (" + strings.Join(details, ", ") + ")"
}

// killedServices counts the kills of each context's service processes.
func (c *chaos) killedServices() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, n := range c.counts {
		if ctxName, ok := strings.CutPrefix(k, "consumer kill "); ok {
			out[ctxName] += n
		}
	}
	return out
}

// run injects faults until stop is closed and each kind has happened minEach times
// (at most maxFaults in all).
func (c *chaos) run(stop <-chan struct{}) {
	var bag []string
	for range c.maxFaults {
		gap := minGap + time.Duration(c.rng.Int64N(int64(maxGap-minGap)))
		select {
		case <-stop:
		case <-time.After(gap):
		}
		var kind string
		select {
		case <-stop:
			// The commands are done: only the kinds still below their minimum.
			if c.abort.Load() {
				return
			}
			c.mu.Lock()
			for _, k := range faultKinds {
				if c.kinds[k] < minEach {
					kind = k
					break
				}
			}
			c.mu.Unlock()
			if kind == "" {
				return
			}
			time.Sleep(minGap) // let the system breathe between faults
		default:
			if len(bag) == 0 {
				// Kills are more frequent than broker and database restarts.
				bag = []string{faultRelay, faultRelay, faultRelay, faultConsumer, faultConsumer, faultConsumer, faultNATS, faultPostgres}
				c.rng.Shuffle(len(bag), func(i, j int) { bag[i], bag[j] = bag[j], bag[i] })
			}
			kind, bag = bag[0], bag[1:]
		}
		c.inject(kind)
	}
}

func (c *chaos) downtime() time.Duration {
	return 100*time.Millisecond + time.Duration(c.rng.Int64N(int64(maxDown)))
}

func (c *chaos) inject(kind string) {
	switch kind {
	case faultRelay:
		ctxName := producers[c.rng.IntN(len(producers))]
		replicas := c.procs.get(ctxName, true)
		target, role := replicas[c.rng.IntN(len(replicas))], "standby"
		if leader := c.leader(replicas); leader != nil {
			if c.rng.IntN(4) > 0 { // mostly the leader: its hand-over is the interesting part
				target = leader
			}
			if target == leader {
				role = "leader"
			}
		} else {
			role = "no leader seen"
		}
		c.kill(kind, target, role, "relay kill ("+role+")")
	case faultConsumer:
		var running []*proc
		for _, p := range c.procs.all {
			if !p.relay && slices.Contains(consumerServices, p.ctxName) && p.isRunning() {
				running = append(running, p)
			}
		}
		if len(running) == 0 {
			return
		}
		target := running[c.rng.IntN(len(running))]
		c.kill(kind, target, "consumer service", "consumer kill "+target.ctxName)
	case faultNATS:
		down := c.downtime()
		c.ns.Shutdown()
		time.Sleep(down)
		c.ns.Restart() // same port, same storage
		c.count(kind)
		c.record(kind, "NATS restarted after %s down", down.Round(time.Millisecond))
	case faultPostgres:
		down := c.downtime()
		if err := c.pg.crash(); err != nil {
			c.fail(err)
			return
		}
		time.Sleep(down)
		began := time.Now()
		if err := c.pg.start(); err != nil {
			c.fail(err)
			return
		}
		c.count(kind)
		c.record(kind, "Postgres crashed (immediate stop), restarted after %s down, recovery took %s",
			down.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	}
}

// kill SIGKILLs p and restarts it after a random pause.
func (c *chaos) kill(kind string, p *proc, role, key string) {
	down := c.downtime()
	if !p.kill() {
		return // already down (its supervisor is restarting it)
	}
	c.count(key)
	c.record(kind, "SIGKILL %s (%s), back in %s", p.name, role, down.Round(time.Millisecond))
	c.restarts.Add(1)
	go func() {
		defer c.restarts.Done()
		select {
		case <-c.procs.stop:
			return
		case <-time.After(down):
		}
		if err := p.start(); err != nil {
			c.fail(err)
		}
	}()
}

// leader returns the relay replica that says it leads, if any.
func (c *chaos) leader(replicas []*proc) *proc {
	for _, p := range replicas {
		resp, err := c.client.Get(p.url("/leader"))
		if err != nil {
			continue
		}
		var v struct{ Leader bool }
		err = json.NewDecoder(resp.Body).Decode(&v)
		_ = resp.Body.Close()
		if err == nil && v.Leader {
			return p
		}
	}
	return nil
}
