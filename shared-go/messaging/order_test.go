package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// seqEvent is event number seq of aggregate key.
func seqEvent(t *testing.T, key string, seq int64) events.Envelope {
	t.Helper()
	ev := newEvent(t, key)
	ev.Seq = seq
	return ev
}

// recordApplied makes the consumer record, in the effect's transaction, the order in
// which it applied each aggregate's events.
func (e *env) recordApplied(cfg *messaging.ConsumerConfig) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), `CREATE TABLE IF NOT EXISTS applied (
		n bigint GENERATED ALWAYS AS IDENTITY, consumer text, aggregate text, seq bigint)`); err != nil {
		e.t.Fatal(err)
	}
	name := cfg.Name
	cfg.OnHandled = func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		_, err := tx.Exec(ctx, `INSERT INTO applied (consumer, aggregate, seq) VALUES ($1, $2, $3)`, name, ev.Subject, ev.Seq)
		return err
	}
}

// assertAppliedInOrder checks that each aggregate's events were applied exactly once
// each, as 1, 2, ..., want[aggregate].
func (e *env) assertAppliedInOrder(want map[string]int64) {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT aggregate, seq FROM applied ORDER BY n`)
	if err != nil {
		e.t.Fatal(err)
	}
	got := map[string][]int64{}
	var agg string
	var seq int64
	if _, err := pgx.ForEachRow(rows, []any{&agg, &seq}, func() error { got[agg] = append(got[agg], seq); return nil }); err != nil {
		e.t.Fatal(err)
	}
	for a, n := range want {
		seqs := got[a]
		if int64(len(seqs)) != n {
			e.t.Fatalf("aggregate %s: applied %v, want 1..%d once each", a, seqs, n)
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				e.t.Fatalf("aggregate %s applied out of order or twice: %v", a, seqs)
			}
		}
	}
}

// An event that arrives before its predecessor waits for it (not a failure); an event
// older than what was applied is a duplicate, even under another event id.
func TestConsumerAppliesAnAggregatesEventsInSequenceOrder(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "ordered", MaxDeliver: 2}
	e.recordApplied(&cfg)
	e.run(cfg, effect)
	third, second, first := seqEvent(t, "agg", 3), seqEvent(t, "agg", 2), seqEvent(t, "agg", 1)
	e.publish(third, third.ID.String())
	e.publish(second, second.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.metric("pitstop_consumer_out_of_order_total") >= 2 },
		"the early events were put back to wait")
	if got := e.count(`SELECT count(*) FROM applied`); got != 0 {
		t.Fatalf("%d events applied before seq 1 arrived", got)
	}
	e.publish(first, first.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM applied`) == 3 }, "all three applied")
	stale := seqEvent(t, "agg", 2) // a different event id claiming an applied position
	e.publish(stale, stale.ID.String())
	marker := seqEvent(t, "other", 1)
	e.publish(marker, marker.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM applied WHERE aggregate = 'other'`) == 1 },
		"marker applied")
	e.assertAppliedInOrder(map[string]int64{"agg": 3, "other": 1})
	if got := e.count(`SELECT count(*) FROM consumer_dead_letter`); got != 0 {
		t.Fatalf("waiting counted as failure: %d dead letters", got)
	}
}

// Order holds across real failures and naks: the first event of each aggregate fails
// twice before it succeeds, and its successors never overtake it. Two replicas share
// the durable consumer, so an aggregate's events are also handled on both.
func TestConsumerOrderHoldsAcrossFailuresAndTwoReplicas(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "replicated", MaxDeliver: 5, Backoff: []time.Duration{5 * time.Millisecond, 20 * time.Millisecond}}
	e.recordApplied(&cfg)
	var mu sync.Mutex
	failed := map[string]int{}
	flaky := func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		mu.Lock()
		n := failed[ev.ID.String()]
		fail := (ev.Seq == 1 && n < 2) || (ev.Seq > 1 && n < 1 && rand.IntN(4) == 0)
		if fail {
			failed[ev.ID.String()] = n + 1
		}
		mu.Unlock()
		if fail {
			return errors.New("flaky downstream")
		}
		return effect(ctx, tx, ev)
	}
	e.run(cfg, flaky)
	e.runReplica(cfg, flaky) // the second replica, with its own metrics
	const aggregates, perAggregate = 20, 6
	want := map[string]int64{}
	for s := int64(1); s <= perAggregate; s++ {
		for a := range aggregates {
			key := fmt.Sprintf("agg-%02d", a)
			ev := seqEvent(t, key, s)
			e.publish(ev, ev.ID.String())
			want[key] = perAggregate
		}
	}
	testutil.Eventually(t, 60*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM applied`) == aggregates*perAggregate
	}, "every event applied")
	e.assertAppliedInOrder(want)
	if got := e.count(`SELECT count(*) FROM effects`); got != aggregates*perAggregate {
		t.Fatalf("effects = %d, want %d", got, aggregates*perAggregate)
	}
	if got := e.count(`SELECT count(*) FROM consumer_dead_letter`); got != 0 {
		t.Fatalf("dead letters = %d", got)
	}
}

// Events that the handler does not want still advance the aggregate's sequence, so a
// consumer of some event types of an aggregate does not wait for the others forever.
func TestConsumerOfSomeTypesOfAnAggregateDoesNotWaitForTheOthers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "partial", FilterSubjects: []string{"pitstop.consumertest.Touched"}}
	e.recordApplied(&cfg)
	var handled []int64
	var mu sync.Mutex
	e.run(cfg, func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		mu.Lock()
		handled = append(handled, ev.Seq)
		mu.Unlock()
		return effect(ctx, tx, ev)
	})
	created := seqEvent(t, "agg", 1)
	created.Type = "pitstop.consumertest.Created" // same context, a type the handler does not want
	e.publish(created, created.ID.String())
	touched := seqEvent(t, "agg", 2)
	e.publish(touched, touched.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM effects`) == 1 }, "seq 2 applied")
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 1 || handled[0] != 2 {
		t.Fatalf("handler saw %v, want only seq 2 (seq 1 is a type it does not consume)", handled)
	}
}

// A dead-lettered event parks its aggregate: the later events wait instead of
// overtaking it, other aggregates flow, and the parked gauge shows it.
func TestConsumerDeadLetterParksItsAggregate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "parking", MaxDeliver: 1}
	e.recordApplied(&cfg)
	e.run(cfg, func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		if ev.Subject == "sick" && ev.Seq == 1 {
			return errors.New("cannot apply")
		}
		return effect(ctx, tx, ev)
	})
	for s := int64(1); s <= 3; s++ {
		for _, key := range []string{"sick", "healthy"} {
			ev := seqEvent(t, key, s)
			e.publish(ev, ev.ID.String())
		}
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM applied WHERE aggregate = 'healthy'`) == 3 &&
			e.count(`SELECT count(*) FROM consumer_dead_letter WHERE aggregate = 'consumertest/sick' AND seq = 1 AND resolved_at IS NULL`) == 1
	}, "healthy aggregate applied, sick head dead-lettered")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.gauge("pitstop_consumer_parked_aggregates") == 1 }, "parked gauge")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.metric("pitstop_consumer_out_of_order_total") >= 4 },
		"later events of the parked aggregate keep waiting")
	if got := e.count(`SELECT count(*) FROM applied WHERE aggregate = 'sick'`); got != 0 {
		t.Fatalf("%d events of the parked aggregate overtook its dead-lettered head", got)
	}
}

func (e *env) gauge(name string) float64 {
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// runReplica runs another replica of a consumer (its own registry, as in its own process).
func (e *env) runReplica(cfg messaging.ConsumerConfig, h messaging.Handler) {
	e.t.Helper()
	c, err := messaging.NewConsumer(e.pool, e.js, cfg, h, testutil.Logger(e.t), prometheus.NewRegistry())
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// A state-transfer event (republish) is applied even when the aggregate's earlier
// events never reached this consumer, and the events after it follow in order.
func TestConsumerAppliesAStateTransferWithoutItsHistory(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "rebuilt"}
	e.recordApplied(&cfg)
	e.run(cfg, effect)
	snapshot := seqEvent(t, "old", 7) // seq 1..6 expired from the stream long ago
	snapshot.Type = "pitstop.consumertest.TouchedStateTransferred"
	e.publish(snapshot, snapshot.ID.String())
	next := seqEvent(t, "old", 8)
	e.publish(next, next.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM applied WHERE aggregate = 'old'`) == 2 },
		"state transfer and its successor applied")
	if got := e.count(`SELECT count(*) FROM applied WHERE aggregate = 'old' AND seq = 8 AND n > (SELECT n FROM applied WHERE seq = 7)`); got != 1 {
		t.Fatal("seq 8 was not applied after the state transfer")
	}
	stale := seqEvent(t, "old", 5)
	stale.Type = "pitstop.consumertest.TouchedStateTransferred"
	e.publish(stale, stale.ID.String())
	marker := seqEvent(t, "marker", 1)
	e.publish(marker, marker.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM applied WHERE aggregate = 'marker'`) == 1 }, "marker")
	if got := e.count(`SELECT count(*) FROM applied WHERE aggregate = 'old'`); got != 2 {
		t.Fatalf("an older state transfer was applied over newer state (%d applied)", got)
	}
}
