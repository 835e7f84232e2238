package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const (
	// backlog is the number of events of phases a and b.
	backlog = 100_000
	// rawWarmup messages are published, unmeasured, before phase a.
	rawWarmup = 20_000
	// insertBatch is the number of outbox rows per transaction when building the backlog.
	insertBatch = 1000
	// relayWindow is the relay's default async publish window (4 × its default
	// batch size, see outbox.NewRelay); phase a uses the same window.
	relayWindow = 4 * 1000
	// steadyFor and steadyWarmupFor shape phase c: each rate is offered for
	// steadyWarmupFor (left out of the figures), then for steadyFor.
	steadyFor       = 10 * time.Second
	steadyWarmupFor = 500 * time.Millisecond
	// steadyWriters is how many goroutines commit the scheduled events (one event per
	// transaction each), so that a slow commit does not lower the offered rate.
	steadyWriters = 8
	// QUALITY.md's targets (every source), and ADR 0006's for the log source.
	drainTarget         = 20_000.0
	latencyTarget       = 10 * time.Millisecond
	logDrainTarget      = 50_000.0
	logDrainRatioTarget = 0.5
)

// relaySources are the relay's two sources, measured side by side.
var relaySources = []outbox.Source{outbox.SourceLog, outbox.SourcePoll}

// steadyRates are the rates offered in phase c (events/s).
var steadyRates = []int{1000, 5000}

// latencyTargetFor is the commit -> PubAck p99 target of src at rate (0: none):
// ADR 0006's for the log source, QUALITY.md's (1,000/s only) for polling.
func latencyTargetFor(src outbox.Source, rate int) time.Duration {
	switch {
	case src == outbox.SourceLog && rate == 1000:
		return 5 * time.Millisecond
	case src == outbox.SourceLog && rate == 5000:
		return 10 * time.Millisecond
	case rate == 1000:
		return latencyTarget
	}
	return 0
}

// rateName is "1k" for 1000 (metric names).
func rateName(rate int) string {
	if rate%1000 == 0 {
		return fmt.Sprintf("%dk", rate/1000)
	}
	return strconv.Itoa(rate)
}

type latencyKey struct {
	src  outbox.Source
	rate int
}

// BenchmarkRelay measures the outbox relay with both of its sources (ADR 0006: the
// log source tails a logical replication slot, the poll source claims rows from the
// table, woken by NOTIFY) against the raw JetStream publish rate, in one run: (a) raw
// async publish rate, (b) drain rate of a 100,000-row backlog with each source and
// its ratio to (a), (c) commit->PubAck latency percentiles at a steady 1,000 and
// 5,000 events/s offered by 8 writers, with each source. The work runs once whatever
// b.N is (use -benchtime 1x).
func BenchmarkRelay(b *testing.B) {
	header("BenchmarkRelay")
	dbURL := testutil.Database(b)
	ns := testutil.StartNATS(b)

	// Phase a brackets phase b (once before, once after, after an unmeasured warm-up)
	// so that a burst of background load on the shared machine skews the ratios less.
	rawPublish(b, ns, rawWarmup)
	rawBefore := rawPublish(b, ns, backlog)
	drains := map[outbox.Source]drainResult{}
	for _, src := range relaySources {
		drains[src] = drainBacklog(b, ns, dbURL, src)
	}
	rawAfter := rawPublish(b, ns, backlog)
	raw := rawResult{n: 2 * backlog, elapsed: rawBefore.elapsed + rawAfter.elapsed,
		bodySize: rawBefore.bodySize, headers: rawBefore.headers}
	lats := map[latencyKey]latencyResult{}
	for _, rate := range steadyRates {
		for _, src := range relaySources {
			lats[latencyKey{src, rate}] = steadyLatency(b, ns, dbURL, src, rate)
		}
	}

	fmt.Printf("a. raw JetStream async publish  2 x %d msgs (%d B body, %d headers, window %d): %9.0f events/s  (before b %.0f, after b %.0f)\n",
		backlog, raw.bodySize, raw.headers, relayWindow, raw.rate(), rawBefore.rate(), rawAfter.rate())
	fmt.Printf("b. relay drain of a %d-row backlog (%d rows per tx; log: slot prepared before the insert), default RelayConfig but Source\n",
		backlog, insertBatch)
	fmt.Printf("   %-5s %10s %10s %6s  %-24s %9s %10s  %-13s %-13s\n", "src", "insert/s", "events/s", "/raw", "target",
		"1st ack", "tail", "gap p50/p99", "acks p50/p99")
	for _, src := range relaySources {
		d := drains[src]
		ratio := d.rate / raw.rate()
		target := fmt.Sprintf(">= %.0f/s: %s", drainTarget, verdict(d.rate >= drainTarget))
		if src == outbox.SourceLog {
			target = fmt.Sprintf(">= %.0f/s & %.1f: %s", logDrainTarget, logDrainRatioTarget,
				verdict(d.rate >= logDrainTarget && ratio >= logDrainRatioTarget))
		}
		fmt.Printf("   %-5s %10.0f %10.0f %6.2f  %-24s %7.1fms %8.1fms  %5.2f/%-6.2f %5.2f/%-6.2f\n", src, d.insertRate, d.rate, ratio, target,
			ms(d.firstAck), ms(d.tail), ms(d.between.p50), ms(d.between.p99), ms(d.acks.p50), ms(d.acks.p99))
	}
	fmt.Printf("   1st ack: relay start -> first PubAck; tail: last PubAck -> outbox empty; per %d acks (ms): gap = last PubAck ->\n", ackGroup)
	fmt.Printf("   next group's first (poll: delete, claim, build, publish; log: decode, build, publish), acks = first -> last PubAck\n")
	fmt.Printf("c. steady load: %d writers, one event per tx, due on a deadline schedule, %s measured after %s warm-up; ms\n",
		steadyWriters, steadyFor, steadyWarmupFor)
	fmt.Printf("   %-5s %7s %8s | %-38s | %-16s | %-13s | %-13s | %s\n", "src", "offered", "achieved",
		"commit -> PubAck p50 / p90 / p99 / p99.9 / max", "target p99", "commit p99", "relay p50/p99", "lag p99")
	for _, rate := range steadyRates {
		for _, src := range relaySources {
			l := lats[latencyKey{src, rate}]
			target := "-"
			if t := latencyTargetFor(src, rate); t > 0 {
				target = fmt.Sprintf("< %s: %s", t, verdict(l.e2e.p99 < t))
			}
			fmt.Printf("   %-5s %6d/s %7.0f/s | %6.2f %6.2f %6.2f %7.2f %8.2f | %-16s | %13.2f | %5.2f / %-5.2f | %.2f\n",
				src, rate, l.rate, ms(l.e2e.p50), ms(l.e2e.p90), ms(l.e2e.p99), ms(l.e2e.p999), ms(l.e2e.mx), target,
				ms(l.commit.p99), ms(l.relay.p50), ms(l.relay.p99), ms(l.lag.p99))
			if l.left > 0 {
				leftLine(l.left, int64(l.n+int(steadyWarmupFor.Seconds()*float64(rate))))
			}
		}
	}
	fmt.Printf("   commit p99: the tx.Commit call; relay: commit returned -> PubAck; lag: writer start after the scheduled time\n")
	fmt.Printf("   load average at end: %s\n", loadavg())

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(raw.rate(), "raw_events/s")
	for _, src := range relaySources {
		d := drains[src]
		b.ReportMetric(d.rate, string(src)+"_drain_events/s")
		b.ReportMetric(d.rate/raw.rate(), string(src)+"_drain/raw")
		for _, rate := range steadyRates {
			l, p := lats[latencyKey{src, rate}], string(src)+"_"+rateName(rate)+"_"
			b.ReportMetric(ms(l.e2e.p50), p+"p50_ms")
			b.ReportMetric(ms(l.e2e.p99), p+"p99_ms")
			b.ReportMetric(ms(l.e2e.p999), p+"p99.9_ms")
			b.ReportMetric(l.rate, p+"events/s")
			b.ReportMetric(float64(l.left), p+"left_in_outbox")
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}

type rawResult struct {
	n                 int
	elapsed           time.Duration
	bodySize, headers int
}

func (r rawResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// rawPublish is phase a: n relay-shaped messages published with PublishMsgAsync into
// a fresh Pitstop stream, timed until every PubAck is in. The messages are built
// before the clock starts: this is the client's and broker's ceiling.
func rawPublish(b *testing.B, ns *testutil.NATSServer, n int) rawResult {
	nc, js := ns.Connect(b)
	stream := freshStream(b, js)
	var failed atomic.Int64
	ajs, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(relayWindow),
		jetstream.WithPublishAsyncTimeout(5*time.Second),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { failed.Add(1) }))
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]*nats.Msg, n)
	for i := range msgs {
		msgs[i] = registered(b, 0, i).Msg()
	}
	res := rawResult{n: n, bodySize: len(msgs[0].Data), headers: len(msgs[0].Header)}

	start := time.Now()
	for _, m := range msgs {
		if _, err := ajs.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute)); err != nil {
			b.Fatalf("publish: %v", err)
		}
	}
	select {
	case <-ajs.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		b.Fatal("raw publish: PubAcks did not arrive in 2 minutes")
	}
	res.elapsed = time.Since(start)
	if k := failed.Load(); k > 0 {
		b.Fatalf("raw publish: %d publishes failed", k)
	}
	if got := streamMsgs(b, stream); got != uint64(n) {
		b.Fatalf("raw publish: stream holds %d messages, want %d", got, n)
	}
	return res
}

type drainResult struct {
	insertRate, rate float64
	firstAck, tail   time.Duration
	between, acks    percentiles
}

// ackGroup is the default RelayConfig.BatchSize: the drain's PubAcks are split in
// groups of this many to time the relay's cycle.
const ackGroup = 1000

// drainBacklog is phase b with source src: a relay prepared (for the log source: its
// replication slot created, so that the backlog is in the slot's stream), backlog rows
// committed to an outbox (insertBatch per transaction), then the relay started and
// timed until the outbox is empty and a fresh stream holds every event.
func drainBacklog(b *testing.B, ns *testutil.NATSServer, dbURL string, src outbox.Source) drainResult {
	schema := "bench_drain_" + string(src)
	ctx := context.Background()
	pool := testutil.Pool(b, dbURL, schema)
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		b.Fatal(err)
	}
	nc, js := ns.Connect(b)
	var (
		acked    atomic.Int64
		ackTimes = make([]time.Time, 0, backlog) // written by the leading relay's goroutine only
		allAcked = make(chan struct{})
	)
	relay := prepareRelay(b, pool, nc, outbox.RelayConfig{Schema: schema, Source: src,
		OnAck: func(_ uuid.UUID, at time.Time) {
			ackTimes = append(ackTimes, at)
			if acked.Add(1) == backlog {
				close(allAcked)
			}
		}})

	w := outbox.NewWriter(schema)
	var res drainResult
	insStart := time.Now()
	for k := 0; k < backlog/insertBatch; k++ {
		evs := make([]events.Envelope, insertBatch)
		for i := range evs {
			evs[i] = registered(b, 1, k*insertBatch+i)
		}
		if err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return w.Add(ctx, tx, evs...) }); err != nil {
			b.Fatal(err)
		}
	}
	res.insertRate = backlog / time.Since(insStart).Seconds()
	var rows, held int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE held) FROM outbox`).Scan(&rows, &held); err != nil || rows != backlog {
		b.Fatalf("backlog: %d rows (%v), want %d", rows, err, backlog)
	}
	if held > 0 {
		b.Fatalf("backlog: %d rows held (to be published from the table), want none", held)
	}

	stream := freshStream(b, js)
	start := time.Now()
	stop := runRelay(b, relay)
	select {
	case <-allAcked:
	case <-time.After(3 * time.Minute):
		b.Fatalf("drain (%s): only %d of %d events acknowledged in 3 minutes", src, acked.Load(), backlog)
	}
	lastAck := time.Now()
	end := pollUntil(b, time.Minute, func() bool {
		var left bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox)`).Scan(&left); err != nil {
			b.Fatal(err)
		}
		return !left && streamMsgs(b, stream) == backlog
	}, "the outbox to be empty and the stream to hold every event")
	if got := streamMsgs(b, stream); got != backlog {
		b.Fatalf("drain (%s): stream holds %d messages, want %d", src, got, backlog)
	}
	if got := relay.Source(); got != src {
		b.Fatalf("drain: the relay led with source %q, want %q", got, src)
	}
	stop()
	if src == outbox.SourceLog {
		dropSlot(b, pool, schema)
	}
	res.rate = backlog / end.Sub(start).Seconds()
	res.firstAck = ackTimes[0].Sub(start)
	res.tail = end.Sub(lastAck)
	// The poll source publishes a batch of ackGroup rows, then waits for its PubAcks
	// in order (OnAck), then deletes it and claims the next; the log source publishes
	// what the stream has delivered and deletes in the background. Split the acks in
	// groups of ackGroup to time the cycle.
	var between, acks []time.Duration
	for k := ackGroup; k+ackGroup <= len(ackTimes); k += ackGroup {
		between = append(between, ackTimes[k].Sub(ackTimes[k-1]))
		acks = append(acks, ackTimes[k+ackGroup-1].Sub(ackTimes[k]))
	}
	res.between, res.acks = percentilesOf(between), percentilesOf(acks)
	return res
}

type latencyResult struct {
	n, left                 int
	rate                    float64
	e2e, commit, relay, lag percentiles
}

// steadyLatency is phase c with source src at rate events/s: one event per
// transaction, scheduled every 1/rate on a deadline schedule, committed by
// steadyWriters goroutines while the relay streams (log: its slot is active, so the
// writers skip pg_notify) or listens (poll); per event, the time just before
// tx.Commit and the relay's PubAck time (RelayConfig.OnAck).
func steadyLatency(b *testing.B, ns *testutil.NATSServer, dbURL string, src outbox.Source, rate int) latencyResult {
	schema := fmt.Sprintf("bench_latency_%s_%d", src, rate)
	ctx := context.Background()
	relayPool := testutil.Pool(b, dbURL, schema)
	if err := outbox.Migrate(ctx, relayPool, schema); err != nil {
		b.Fatal(err)
	}
	cfg, err := postgres.ParseConfig(dbURL, schema)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 2 * steadyWriters
	cfg.MinConns = steadyWriters
	writerPool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer writerPool.Close()
	w := outbox.NewWriter(schema)

	warmup := int(steadyWarmupFor.Seconds() * float64(rate))
	total := warmup + int(steadyFor.Seconds()*float64(rate))
	envs := make([]events.Envelope, total)
	index := make(map[uuid.UUID]int, total)
	for i := range envs {
		envs[i] = registered(b, 2, i)
		index[envs[i].ID] = i
	}
	var (
		due       = make([]time.Time, total)
		picked    = make([]time.Time, total)
		commitAt  = make([]time.Time, total)
		committed = make([]time.Time, total)
		ackAt     = make([]time.Time, total)
		acked     atomic.Int64
		allAcked  = make(chan struct{})
	)

	nc, js := ns.Connect(b)
	freshStream(b, js)
	relay := prepareRelay(b, relayPool, nc, outbox.RelayConfig{Schema: schema, Source: src,
		OnAck: func(id uuid.UUID, at time.Time) {
			// Called from the leading relay's goroutine only.
			if i, ok := index[id]; ok && ackAt[i].IsZero() {
				ackAt[i] = at
				if acked.Add(1) == int64(total) {
					close(allAcked)
				}
			}
		}})
	stop := runRelay(b, relay)
	awaitSource(b, relayPool, relay, schema, src)

	slots := make(chan int, total)
	var wg sync.WaitGroup
	var writeErr atomic.Value
	for range steadyWriters {
		wg.Go(func() {
			for i := range slots {
				picked[i] = time.Now()
				err := func() error {
					tx, err := writerPool.Begin(ctx)
					if err != nil {
						return err
					}
					defer func() { _ = tx.Rollback(ctx) }()
					if err := w.Add(ctx, tx, envs[i]); err != nil {
						return err
					}
					commitAt[i] = time.Now()
					if err := tx.Commit(ctx); err != nil {
						return err
					}
					committed[i] = time.Now()
					return nil
				}()
				if err != nil {
					writeErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	// Deadline schedule: event i is due at start + i/rate; a late scheduler catches up
	// instead of dropping events (as a time.Ticker would).
	interval := time.Second / time.Duration(rate)
	start := time.Now().Add(10 * time.Millisecond)
	timer := time.NewTimer(time.Hour)
	for i := range total {
		due[i] = start.Add(time.Duration(i) * interval)
		if d := time.Until(due[i]); d > 0 {
			timer.Reset(d)
			<-timer.C
		}
		slots <- i
	}
	timer.Stop()
	close(slots)
	wg.Wait()
	if err, _ := writeErr.Load().(error); err != nil {
		b.Fatalf("writer: %v", err)
	}
	select {
	case <-allAcked:
	case <-time.After(time.Minute):
		b.Fatalf("steady (%s, %d/s): only %d of %d events acknowledged", src, rate, acked.Load(), total)
	}
	left := leftInOutbox(b, relayPool)
	if got := relay.Source(); got != src {
		b.Fatalf("steady: the relay led with source %q, want %q", got, src)
	}
	stop()
	if src == outbox.SourceLog {
		dropSlot(b, relayPool, schema)
	}

	var e2e, commit, share, lag []time.Duration
	first, last := commitAt[warmup], commitAt[warmup]
	for i := warmup; i < total; i++ {
		e2e = append(e2e, ackAt[i].Sub(commitAt[i]))
		commit = append(commit, committed[i].Sub(commitAt[i]))
		share = append(share, ackAt[i].Sub(committed[i]))
		lag = append(lag, picked[i].Sub(due[i]))
		if commitAt[i].Before(first) {
			first = commitAt[i]
		}
		if commitAt[i].After(last) {
			last = commitAt[i]
		}
	}
	n := total - warmup
	return latencyResult{n: n, left: left, rate: float64(n-1) / last.Sub(first).Seconds(),
		e2e: percentilesOf(e2e), commit: percentilesOf(commit), relay: percentilesOf(share), lag: percentilesOf(lag)}
}
