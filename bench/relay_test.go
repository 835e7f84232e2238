package bench

import (
	"context"
	"fmt"
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
	// steadyRate, steadyFor and steadyWarmup shape phase c.
	steadyRate   = 1000
	steadyFor    = 10 * time.Second
	steadyWarmup = 500 // events at the start of phase c left out of the figures
	// steadyWriters is how many goroutines commit the scheduled events (one event per
	// transaction each), so that a slow commit does not lower the offered rate.
	steadyWriters = 8
	// drainTarget and latencyTarget are QUALITY.md's targets.
	drainTarget   = 20_000.0
	latencyTarget = 10 * time.Millisecond
)

// BenchmarkRelay measures the outbox relay against the raw JetStream publish rate in
// one run: (a) raw async publish rate, (b) drain rate of a 100,000-row backlog and its
// ratio to (a), (c) commit→PubAck latency percentiles at a steady 1,000 events/s.
// The work runs once whatever b.N is (use -benchtime 1x).
func BenchmarkRelay(b *testing.B) {
	header("BenchmarkRelay")
	dbURL := testutil.Database(b)
	ns := testutil.StartNATS(b)

	// Phase a brackets phase b (once before, once after, after an unmeasured warm-up)
	// so that a burst of background load on the shared machine skews the ratio less.
	rawPublish(b, ns, rawWarmup)
	rawBefore := rawPublish(b, ns, backlog)
	drain := drainBacklog(b, ns, dbURL)
	rawAfter := rawPublish(b, ns, backlog)
	raw := rawResult{n: 2 * backlog, elapsed: rawBefore.elapsed + rawAfter.elapsed,
		bodySize: rawBefore.bodySize, headers: rawBefore.headers}
	lat := steadyLatency(b, ns, dbURL)

	ratio := drain.rate / raw.rate()
	fmt.Printf("a. raw JetStream async publish  2 x %d msgs (%d B body, %d headers, window %d): %9.0f events/s  (before b %.0f, after b %.0f)\n",
		backlog, raw.bodySize, raw.headers, relayWindow, raw.rate(), rawBefore.rate(), rawAfter.rate())
	fmt.Printf("b. outbox backlog insert         %7d rows, %d per tx:                   %9.0f rows/s   (setup, not a target)\n",
		backlog, insertBatch, drain.insertRate)
	fmt.Printf("   relay drain to empty outbox   %7d events, default RelayConfig:       %9.0f events/s  = %.2f of raw (a)   target >= %.0f/s: %s\n",
		backlog, drain.rate, ratio, drainTarget, verdict(drain.rate >= drainTarget))
	fmt.Printf("   of which: relay start -> first PubAck %.1f ms, last PubAck -> outbox empty %.1f ms\n",
		ms(drain.firstAck), ms(drain.tail))
	fmt.Printf("   per 1000-row batch  ms: p50 %5.2f  p99 %5.2f  last PubAck -> next batch's first PubAck (delete, claim, build, publish)\n",
		ms(drain.between.p50), ms(drain.between.p99))
	fmt.Printf("                       ms: p50 %5.2f  p99 %5.2f  first -> last PubAck of the batch (rest of the acks)\n",
		ms(drain.acks.p50), ms(drain.acks.p99))
	fmt.Printf("c. steady load: offered %d events/s for %s (%d one-event transactions, first %d left out), achieved %.0f events/s\n",
		steadyRate, steadyFor, lat.n, steadyWarmup, lat.rate)
	fmt.Printf("   commit -> PubAck   ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  p99.9 %6.2f  max %6.2f   target p99 < %s: %s\n",
		ms(lat.e2e.p50), ms(lat.e2e.p90), ms(lat.e2e.p99), ms(lat.e2e.p999), ms(lat.e2e.mx), latencyTarget, verdict(lat.e2e.p99 < latencyTarget))
	fmt.Printf("   of which commit    ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  p99.9 %6.2f  max %6.2f   (tx.Commit call)\n",
		ms(lat.commit.p50), ms(lat.commit.p90), ms(lat.commit.p99), ms(lat.commit.p999), ms(lat.commit.mx))
	fmt.Printf("   commit returned -> PubAck ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  p99.9 %6.2f  max %6.2f   (the relay's share)\n",
		ms(lat.relay.p50), ms(lat.relay.p90), ms(lat.relay.p99), ms(lat.relay.p999), ms(lat.relay.mx))
	fmt.Printf("   writer start lag   ms: p50 %6.2f  p99 %6.2f  max %6.2f   (transaction start after its scheduled time)\n",
		ms(lat.lag.p50), ms(lat.lag.p99), ms(lat.lag.mx))
	fmt.Printf("   load average at end: %s\n", loadavg())

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(raw.rate(), "raw_events/s")
	b.ReportMetric(drain.rate, "drain_events/s")
	b.ReportMetric(ratio, "drain/raw")
	b.ReportMetric(ms(lat.e2e.p50), "p50_ms")
	b.ReportMetric(ms(lat.e2e.p90), "p90_ms")
	b.ReportMetric(ms(lat.e2e.p99), "p99_ms")
	b.ReportMetric(ms(lat.e2e.mx), "max_ms")
	b.ReportMetric(ms(lat.commit.p99), "commit_p99_ms")
	b.ReportMetric(ms(lat.relay.p99), "relay_share_p99_ms")
	b.ReportMetric(lat.rate, "steady_events/s")
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

// drainBacklog is phase b: backlog rows committed to an outbox (insertBatch per
// transaction), then a relay with the default configuration started and timed until
// the outbox is empty and a fresh stream holds every event.
func drainBacklog(b *testing.B, ns *testutil.NATSServer, dbURL string) drainResult {
	const schema = "bench_drain"
	ctx := context.Background()
	pool := testutil.Pool(b, dbURL, schema)
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		b.Fatal(err)
	}
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
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&rows); err != nil || rows != backlog {
		b.Fatalf("backlog: %d rows (%v), want %d", rows, err, backlog)
	}

	nc, js := ns.Connect(b)
	stream := freshStream(b, js)
	var (
		acked    atomic.Int64
		ackTimes = make([]time.Time, 0, backlog) // written by the leading relay's goroutine only
		allAcked = make(chan struct{})
	)
	relay, err := outbox.NewRelay(pool, nc, outbox.RelayConfig{Schema: schema,
		OnAck: func(_ uuid.UUID, at time.Time) {
			ackTimes = append(ackTimes, at)
			if acked.Add(1) == backlog {
				close(allAcked)
			}
		}}, testutil.Logger(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	start := time.Now()
	go func() { runErr <- relay.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			b.Errorf("relay: %v", err)
		}
	}()

	select {
	case <-allAcked:
	case <-time.After(3 * time.Minute):
		b.Fatalf("drain: only %d of %d events acknowledged in 3 minutes", acked.Load(), backlog)
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
		b.Fatalf("drain: stream holds %d messages, want %d", got, backlog)
	}
	res.rate = backlog / end.Sub(start).Seconds()
	res.firstAck = ackTimes[0].Sub(start)
	res.tail = end.Sub(lastAck)
	// The relay publishes a whole batch, then waits for its PubAcks in order (OnAck),
	// then deletes it and claims the next: split each batch's cycle at its acks.
	const batch = 1000 // the default RelayConfig.BatchSize
	var between, acks []time.Duration
	for k := batch; k+batch <= len(ackTimes); k += batch {
		between = append(between, ackTimes[k].Sub(ackTimes[k-1]))
		acks = append(acks, ackTimes[k+batch-1].Sub(ackTimes[k]))
	}
	res.between, res.acks = percentilesOf(between), percentilesOf(acks)
	return res
}

type latencyResult struct {
	n                       int
	rate                    float64
	e2e, commit, relay, lag percentiles
}

// steadyLatency is phase c: one event per transaction, scheduled every 1/steadyRate
// on a deadline schedule, committed by steadyWriters goroutines; per event, the time
// just before tx.Commit and the relay's PubAck time (RelayConfig.OnAck).
func steadyLatency(b *testing.B, ns *testutil.NATSServer, dbURL string) latencyResult {
	const schema = "bench_latency"
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
	b.Cleanup(writerPool.Close)
	w := outbox.NewWriter(schema)

	total := steadyWarmup + int(steadyFor.Seconds()*steadyRate)
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
	relay, err := outbox.NewRelay(relayPool, nc, outbox.RelayConfig{Schema: schema,
		OnAck: func(id uuid.UUID, at time.Time) {
			// Called from the leading relay's goroutine only.
			if i, ok := index[id]; ok && ackAt[i].IsZero() {
				ackAt[i] = at
				if acked.Add(1) == int64(total) {
					close(allAcked)
				}
			}
		}}, testutil.Logger(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- relay.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			b.Errorf("relay: %v", err)
		}
	}()
	testutil.Eventually(b, 10*time.Second, relay.IsLeader, "relay leads")

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
	// Deadline schedule: event i is due at start + i/steadyRate; a late scheduler
	// catches up instead of dropping events (as a time.Ticker would).
	interval := time.Second / steadyRate
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
		b.Fatalf("steady: only %d of %d events acknowledged", acked.Load(), total)
	}

	var e2e, commit, share, lag []time.Duration
	first, last := commitAt[steadyWarmup], commitAt[steadyWarmup]
	for i := steadyWarmup; i < total; i++ {
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
	n := total - steadyWarmup
	return latencyResult{n: n, rate: float64(n-1) / last.Sub(first).Seconds(),
		e2e: percentilesOf(e2e), commit: percentilesOf(commit), relay: percentilesOf(share), lag: percentilesOf(lag)}
}
