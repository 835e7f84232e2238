package clustertest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "clustertest"

type pinged struct {
	Agg string `json:"agg"`
}

func (pinged) EventType() string      { return "pitstop.clustertest.Pinged" }
func (p pinged) EventSubject() string { return p.Agg }

// consumers are the durable consumers (the consumer services) of every test here; each
// runs as two replicas.
var consumers = []string{"alpha", "beta"}

// eventsUnderLoad is how many events a test writes: PITSTOP_CLUSTER_EVENTS, or 2,000.
func eventsUnderLoad(t testing.TB) int {
	if s := os.Getenv("PITSTOP_CLUSTER_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PITSTOP_CLUSTER_EVENTS=%q: want a positive number", s)
		}
		return n
	}
	return 2000
}

// TestR3StreamLosesAndDoublesNothingWhenItsLeaderNodeDies runs, on a three-node
// JetStream cluster with the PITSTOP stream declared at R3 through app.ConnectNATS
// (NATS_STREAM_REPLICAS=3, NATS_URL listing the three nodes), an outbox relay (log
// source) and two durable consumers of two replicas each, while four writers commit
// events to forty aggregates; once a third is written, the node that leads the stream
// is killed (and stays down). Every written event must be applied exactly once by each
// consumer, each aggregate's events in sequence order, with no dead letter anywhere,
// and the stream must hold each event once.
//
// The load is PITSTOP_CLUSTER_EVENTS events (default 2,000; e.g. 50000 for a longer run).
func TestR3StreamLosesAndDoublesNothingWhenItsLeaderNodeDies(t *testing.T) {
	t.Parallel()
	runUnderLoad(t, true)
}

// TestTwoReplicasOfEachConsumerApplyOnceAndInOrderOnR3 runs two replicas of each
// consumer service (two Consumers per durable consumer name, each with its own NATS
// connection and metrics, as two processes would) against the R3 stream while a relay
// publishes what four writers commit: each event is applied exactly once per consumer,
// in per-aggregate order, and both replicas of each consumer did part of the work.
// (messaging's TestConsumerOrderHoldsAcrossFailuresAndTwoReplicas covers two replicas
// with failing handlers on one server; this one adds a relay's load and the cluster.)
func TestTwoReplicasOfEachConsumerApplyOnceAndInOrderOnR3(t *testing.T) {
	t.Parallel()
	runUnderLoad(t, false)
}

type written struct {
	mu    sync.Mutex
	ids   map[string]bool  // event ids committed
	count map[string]int64 // events committed per aggregate
}

// replica is one replica of a consumer service.
type replica struct {
	nc      *nats.Conn
	stop    func()
	applied atomic.Int64
}

// kill ends the replica as a dying process would: its NATS connection drops (the
// messages it held are redelivered after AckWait) and its Postgres lock session ends.
func (r *replica) kill() {
	r.nc.Close()
	r.stop()
}

func runUnderLoad(t *testing.T, killStreamLeader bool) {
	ctx := context.Background()
	total := eventsUnderLoad(t)
	// Consumers apply a few hundred events per second each on two cores.
	patience := time.Minute + time.Duration(total)*5*time.Millisecond
	pool := outboxDB(t)
	if err := messaging.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE applied (n bigint GENERATED ALWAYS AS IDENTITY,
		consumer text, replica int, aggregate text, seq bigint, event_id uuid)`); err != nil {
		t.Fatal(err)
	}
	cluster := testutil.StartNATSCluster(t, 3)
	natsCfg := config.NATS{URL: cluster.URLs(), StreamReplicas: 3}
	connect := func(name string) (*nats.Conn, jetstream.JetStream) {
		nc, js, err := app.ConnectNATS(ctx, natsCfg, name, testutil.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		nc.SetErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			t.Logf("%s: nats async error on %q: %v", name, subj, err)
		})
		return nc, js
	}
	_, js := connect("clustertest")

	// The relay, log source, with its slot made before anything is written.
	rnc, _ := connect("clustertest-relay")
	relay, err := outbox.NewRelay(pool, rnc, outbox.RelayConfig{Schema: schema, Source: outbox.SourceLog,
		PollInterval: 50 * time.Millisecond, ElectionInterval: 50 * time.Millisecond, AckTimeout: 2 * time.Second},
		testutil.Logger(t), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	run(t, relay.Run)

	// Two replicas of each consumer, each as its own process would be: one is active
	// (it holds the consumer's lock), the other stands by.
	replicas := map[string]*replica{}
	for _, name := range consumers {
		for i := range 2 {
			rnc, cjs := connect(fmt.Sprintf("clustertest-%s-%d", name, i))
			r := &replica{nc: rnc}
			replicas[fmt.Sprintf("%s/%d", name, i)] = r
			h := func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
				_, err := tx.Exec(ctx, `INSERT INTO applied (consumer, replica, aggregate, seq, event_id)
					VALUES ($1, $2, $3, $4, $5)`, name, i, ev.Subject, ev.Seq, ev.ID)
				if err == nil {
					r.applied.Add(1)
				}
				return err
			}
			c, err := messaging.NewConsumer(pool, cjs, messaging.ConsumerConfig{Name: name, AckWait: 2 * time.Second,
				MaxWait: time.Second}, h, testutil.Logger(t), prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			r.stop = run(t, c.Run)
		}
	}

	// Four writers, forty aggregates, one to three events per transaction.
	w := &written{ids: map[string]bool{}, count: map[string]int64{}}
	var budget atomic.Int64
	budget.Store(int64(total))
	var committed atomic.Int64
	writers, wctx := errgroup.WithContext(ctx)
	for range 4 {
		writers.Go(func() error { return write(wctx, pool, w, &budget, &committed) })
	}
	if killStreamLeader {
		testutil.Eventually(t, 60*time.Second, func() bool { return committed.Load() >= int64(total/3) }, "a third written")
		leader := cluster.WaitForStreamLeader(messaging.StreamName)
		cluster.Kill(leader)
		next := cluster.WaitForStreamLeader(messaging.StreamName)
		t.Logf("killed stream leader node %d after %d events committed, %d applied; node %d leads now",
			leader, committed.Load(), count(t, pool, `SELECT count(*) FROM applied`), next)
	} else {
		// Kill the active replica of each consumer once it has applied something; the
		// standby takes over.
		for _, name := range consumers {
			var active *replica
			testutil.Eventually(t, patience, func() bool {
				for i := range 2 {
					if r := replicas[fmt.Sprintf("%s/%d", name, i)]; r.applied.Load() >= int64(total/4) {
						active = r
						return true
					}
				}
				return false
			}, "a replica of %s applies a quarter", name)
			active.kill()
			t.Logf("killed the active replica of %s after it applied %d; %d events committed", name, active.applied.Load(), committed.Load())
		}
	}
	if err := writers.Wait(); err != nil {
		t.Fatal(err)
	}

	// Everything applied, and nothing left in flight that could still be redelivered.
	var state string
	testutil.Eventually(t, patience, func() bool {
		applied := count(t, pool, `SELECT count(*) FROM applied`)
		state = fmt.Sprintf("%d of %d applied, %d left in the outbox", applied, len(consumers)*total,
			count(t, pool, `SELECT count(*) FROM outbox`))
		if applied < len(consumers)*total {
			return false
		}
		for _, name := range consumers {
			c, err := js.Consumer(ctx, messaging.StreamName, name)
			if err != nil {
				state += fmt.Sprintf("; consumer %s: %v", name, err)
				return false
			}
			info, err := c.Info(ctx)
			if err != nil || info.NumPending != 0 || info.NumAckPending != 0 {
				state += fmt.Sprintf("; consumer %s: info error %v, pending %d, ack pending %d", name, err, info.NumPending, info.NumAckPending)
				return false
			}
		}
		return true
	}, "every event applied by both consumers and acknowledged: %v", lazy(func() string { return state }))

	for _, name := range consumers {
		assertAppliedOnceInOrder(t, pool, name, w)
	}
	if n := count(t, pool, `SELECT count(*) FROM consumer_dead_letter`); n != 0 {
		t.Errorf("%d consumer dead letters", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM outbox_dead_letter`); n != 0 {
		t.Errorf("%d outbox dead letters", n)
	}
	s, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(total) {
		t.Errorf("stream holds %d messages, want each of the %d events once", info.State.Msgs, total)
	}
	// The relays' and consumers' own declarations kept the services' replica count.
	if info.Config.Replicas != 3 {
		t.Errorf("stream replicas = %d, want 3", info.Config.Replicas)
	}
	for _, name := range consumers {
		a, b := replicas[name+"/0"].applied.Load(), replicas[name+"/1"].applied.Load()
		t.Logf("consumer %s: replica 0 applied %d, replica 1 applied %d", name, a, b)
		if !killStreamLeader && (a == 0 || b == 0) {
			t.Errorf("consumer %s: the standby never took over (%d, %d)", name, a, b)
		}
	}
}

// write commits transactions of one to three events of a random aggregate until the
// budget is spent.
func write(ctx context.Context, pool *pgxpool.Pool, w *written, budget, committed *atomic.Int64) error {
	ow := outbox.NewWriter(schema)
	for {
		k := int64(1 + rand.IntN(3))
		if left := budget.Add(-k); left < 0 {
			k += left // what was left
			if k <= 0 {
				return nil
			}
		}
		agg := fmt.Sprintf("agg-%02d", rand.IntN(40))
		var evs []events.Envelope
		for range k {
			ev, err := events.New("pitstop/clustertest", pinged{Agg: agg}, time.Now())
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		if err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return ow.Add(ctx, tx, evs...) }); err != nil {
			return err
		}
		w.mu.Lock()
		for _, ev := range evs {
			w.ids[ev.ID.String()] = true
		}
		w.count[agg] += k
		w.mu.Unlock()
		committed.Add(k)
	}
}

// assertAppliedOnceInOrder checks that consumer applied every written event exactly
// once, and each aggregate's as 1, 2, ..., n in the order it applied them.
func assertAppliedOnceInOrder(t *testing.T, pool *pgxpool.Pool, consumer string, w *written) {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT aggregate, seq, event_id::text FROM applied WHERE consumer = $1 ORDER BY n`, consumer)
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[string][]int64{}
	seen := map[string]int{}
	var agg, id string
	var seq int64
	if _, err := pgx.ForEachRow(rows, []any{&agg, &seq, &id}, func() error {
		seqs[agg] = append(seqs[agg], seq)
		seen[id]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s applied event %s %d times", consumer, id, n)
		}
		if !w.ids[id] {
			t.Errorf("%s applied event %s that nobody wrote", consumer, id)
		}
	}
	for id := range w.ids {
		if seen[id] == 0 {
			t.Errorf("%s never applied event %s", consumer, id)
		}
	}
	for a, n := range w.count {
		got := seqs[a]
		ok := int64(len(got)) == n
		for i := 0; ok && i < len(got); i++ {
			ok = got[i] == int64(i+1)
		}
		if !ok {
			t.Errorf("%s applied aggregate %s as %v, want 1..%d once each in order", consumer, a, got, n)
		}
	}
}

// lazy is a fmt.Stringer evaluated when printed.
type lazy func() string

func (l lazy) String() string { return l() }

// outboxDB is a fresh database (logical WAL required) with the outbox tables in schema.
func outboxDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	dbURL := testutil.Database(t)
	testutil.RequireLogicalWAL(t, dbURL)
	pool := testutil.Pool(t, dbURL, schema)
	if err := outbox.Migrate(context.Background(), pool, schema); err != nil {
		t.Fatal(err)
	}
	return pool
}

// run runs f until stop is called or the test ends; stop waits for f to return.
func run(t *testing.T, f func(ctx context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = f(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func count(t testing.TB, pool *pgxpool.Pool, q string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
