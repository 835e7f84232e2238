package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// outage is how long the fault tests keep Postgres away (the operator scenario).
const outage = 30 * time.Second

func (e *env) deadLetters() int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox_dead_letter`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// The broker refuses the first of two events of one aggregate committed in one
// transaction (a per-message limit an operator later lifts); the second must not
// overtake it, neither in that batch nor in a later one.
func relayBrokerRefusingTheFirstOfABatchKeepsTheAggregateInOrder(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	r := e.relay(outbox.RelayConfig{MaxAttempts: 1000}, reg)
	start(t, r)
	// A published probe shows the leader has declared the stream (which would reset the
	// limit set below).
	e.insert(1, "probe")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 1 }, "probe published")
	// A stream limit that refuses big messages (the broker's own per-message error).
	cfg := messaging.StreamConfig()
	cfg.MaxMsgSize = 1024
	if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var ids []string
	err := postgres.WithTx(ctx, e.pool, func(tx pgx.Tx) error {
		big, err := events.New("pitstop/relaytest", pinged{N: 1, Agg: "ordered"}, time.Now())
		if err != nil {
			return err
		}
		big.Data = []byte(fmt.Sprintf(`{"n":1,"agg":"ordered","pad":%q}`, strings.Repeat("x", 3000)))
		small, err := events.New("pitstop/relaytest", pinged{N: 2, Agg: "ordered"}, time.Now())
		if err != nil {
			return err
		}
		ids = []string{big.ID.String(), small.ID.String()}
		return e.w.Add(ctx, tx, big, small)
	})
	if err != nil {
		t.Fatal(err)
	}
	other := e.insert(3, "bystander")
	testutil.Eventually(t, 10*time.Second, func() bool {
		return promFailures(t, reg) >= 3 && e.streamMsgs() >= 4
	}, "the big event refused a few times while the bystanders flow")
	if seen := idsOf(e.streamIDs()); seen[ids[1]] != 0 {
		t.Fatal("the second event of the aggregate overtook the refused first one")
	}
	// The operator lifts the limit: both go out, in order.
	cfg.MaxMsgSize = -1
	if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, func() bool { return e.outboxRows() == 0 }, "outbox drained")
	msgs := e.streamIDs()
	assertAggregateOrder(t, msgs)
	assertOnce(t, msgs, append(ids, other...))
	if e.deadLetters() != 0 {
		t.Fatal("dead-lettered although MaxAttempts was not reached")
	}
}

func promFailures(t *testing.T, reg *prometheus.Registry) float64 {
	return metricValue(t, reg, "pitstop_outbox_publish_failures_total")
}

// metricValue sums the series of counter or gauge name whose labels include every
// name=value pair of labels (none: all series).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for k := 0; k+1 < len(labels); k += 2 {
				if !hasLabel(m.GetLabel(), labels[k], labels[k+1]) {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func hasLabel(ls []*dto.LabelPair, name, value string) bool {
	for _, l := range ls {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// A transient failure (the broker timing out on one message) is not counted against
// the row, and the later events of its aggregate still wait for it.
func relayTransientFailureNeitherCountsNorReorders(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	var first atomic.Value // the event id to time out
	var timeouts atomic.Int32
	reg := prometheus.NewRegistry()
	r := e.relay(outbox.RelayConfig{MaxAttempts: 2, BeforePublish: func(m *nats.Msg) error {
		if id, _ := first.Load().(string); id != "" && m.Header.Get(events.HeaderID) == id && timeouts.Add(1) <= 5 {
			return nats.ErrTimeout
		}
		return nil
	}}, reg)
	ids := e.insert(4, "timed-out")
	first.Store(ids[0])
	start(t, r)
	testutil.Eventually(t, 20*time.Second, func() bool { return e.outboxRows() == 0 }, "drained after the timeouts")
	if timeouts.Load() < 5 {
		t.Fatalf("only %d timeouts injected", timeouts.Load())
	}
	assertAggregateOrder(t, e.streamIDs())
	if e.deadLetters() != 0 || promFailures(t, reg) != 0 {
		t.Fatalf("transient timeouts counted: dead letters %d, counted failures %v", e.deadLetters(), promFailures(t, reg))
	}
	if got := metricValue(t, reg, "pitstop_outbox_transient_failures_total", "reason", "timeout"); got < 5 {
		t.Fatalf("transient failures by reason timeout = %v, want >= 5", got)
	}
}

// The stream is deleted while the relay runs (an operator's mistake, a new broker): the
// relay declares it again; nothing is dead-lettered and each aggregate stays in order.
func relayDeclaresADeletedStreamAgainAndDeadLettersNothing(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	r := e.relay(outbox.RelayConfig{MaxAttempts: 2}, reg)
	start(t, r)
	testutil.Eventually(t, 10*time.Second, r.IsLeader, "leader")
	e.insert(5, "before")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 5 }, "published before the deletion")
	if err := e.js.DeleteStream(ctx, messaging.StreamName); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for a := range 5 {
		ids = append(ids, e.insert(4, fmt.Sprintf("agg-%d", a))...)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		_, err := e.js.Stream(ctx, messaging.StreamName)
		return err == nil && e.outboxRows() == 0
	}, "stream declared again and the outbox drained")
	if got := metricValue(t, reg, "pitstop_outbox_transient_failures_total", "reason", "stream_missing"); got < 1 {
		t.Fatalf("the missing stream was not reported as such (stream_missing = %v)", got)
	}
	if e.deadLetters() != 0 {
		t.Fatalf("%d rows dead-lettered because the stream was missing", e.deadLetters())
	}
	msgs := e.streamIDs()
	assertOnce(t, msgs, ids)
	assertAggregateOrder(t, msgs)
}

// Postgres is cut away from the relay for 30 s while events are committed: the relay
// reports not ready, counts nothing against any row, and publishes everything, once and
// in order, when Postgres is back.
func relayRidesOutAPostgresOutage(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	proxy := testutil.StartProxy(t, hostOf(t, e.pool))
	relayPool := testutil.Pool(t, proxy.URL(e.pool.Config().ConnString()), schema)
	reg := prometheus.NewRegistry()
	r, err := outbox.NewRelay(relayPool, e.nc, outbox.RelayConfig{Schema: schema, Source: src, MaxAttempts: 2,
		PollInterval: 50 * time.Millisecond, ElectionInterval: 50 * time.Millisecond}, testutil.Logger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	testutil.Eventually(t, 10*time.Second, r.IsLeader, "leader")
	var ids []string
	ids = append(ids, e.insert(3, "flow-0")...)
	proxy.Cut()
	cutAt := time.Now()
	testutil.Eventually(t, 10*time.Second, func() bool { return r.Ready(context.Background()) != nil }, "relay not ready while Postgres is away")
	for i := 1; time.Since(cutAt) < outage; i++ {
		ids = append(ids, e.insert(3, fmt.Sprintf("flow-%d", i%4))...)
		testutil.Eventually(t, outage, func() bool { return time.Since(cutAt) > time.Duration(i)*outage/6 }, "next round")
	}
	proxy.Restore()
	testutil.Eventually(t, 30*time.Second, func() bool { return e.outboxRows() == 0 }, "drained after the outage")
	testutil.Eventually(t, 10*time.Second, func() bool { return r.Ready(context.Background()) == nil }, "ready again")
	msgs := e.streamIDs()
	assertOnce(t, msgs, ids)
	assertAggregateOrder(t, msgs)
	if e.deadLetters() != 0 || promFailures(t, reg) != 0 {
		t.Fatalf("the outage was counted against rows: %d dead letters, %v counted failures", e.deadLetters(), promFailures(t, reg))
	}
	if got := metricValue(t, reg, "pitstop_outbox_transient_failures_total"); got < 1 {
		t.Fatal("the outage was not counted as a transient failure")
	}
}

// A leader isolated from Postgres loses its lock with its session: it must step down
// and publish nothing more, while the standby takes over and publishes everything.
func relayLeaderIsolatedFromPostgresStepsDownAndPublishesNothingMore(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	proxy := testutil.StartProxy(t, hostOf(t, e.pool))
	isolatedPool := testutil.Pool(t, proxy.URL(e.pool.Config().ConnString()), schema)
	var mu sync.Mutex
	ackedByA := map[uuid.UUID]bool{}
	a, err := outbox.NewRelay(isolatedPool, e.nc, outbox.RelayConfig{Schema: schema, Source: src,
		PollInterval: 50 * time.Millisecond, ElectionInterval: 50 * time.Millisecond,
		OnAck: func(id uuid.UUID, _ time.Time) { mu.Lock(); ackedByA[id] = true; mu.Unlock() }}, testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, a)
	testutil.Eventually(t, 10*time.Second, a.IsLeader, "a leads")
	b := e.relay(outbox.RelayConfig{}, nil)
	start(t, b)
	e.insert(5, "before")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "a publishes")
	proxy.Cut()
	after := e.insert(20, "after")
	testutil.Eventually(t, 20*time.Second, func() bool { return !a.IsLeader() && b.IsLeader() }, "a steps down and b takes over")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "b publishes what came after")
	mu.Lock()
	defer mu.Unlock()
	for _, id := range after {
		if ackedByA[uuid.MustParse(id)] {
			t.Fatalf("the isolated leader published event %s after it was cut off", id)
		}
	}
	assertAggregateOrder(t, e.streamIDs())
}

// hostOf is the host:port the pool connects to.
func hostOf(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	c := pool.Config().ConnConfig
	return fmt.Sprintf("%s:%d", c.Host, c.Port)
}
