package messaging_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// outage is how long Postgres stays away from the consumer (the operator's scenario).
const outage = 30 * time.Second

// Postgres is cut away from a consumer for 30 s while events arrive. With a small
// delivery budget, counting the outage would dead-letter them all; instead the consumer
// backs off, reports not ready, and applies every event once, in order, when Postgres
// is back.
func TestConsumerRidesOutAPostgresOutage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.pool.Config().ConnConfig
	proxy := testutil.StartProxy(t, fmt.Sprintf("%s:%d", c.Host, c.Port))
	consumerPool := testutil.Pool(t, proxy.URL(e.pool.Config().ConnString()), schema)
	cfg := messaging.ConsumerConfig{Name: "outage", MaxDeliver: 2, Backoff: []time.Duration{10 * time.Millisecond}, MaxWait: time.Second}
	e.recordApplied(&cfg)
	reg := prometheus.NewRegistry()
	cons, err := messaging.NewConsumer(consumerPool, e.js, cfg, effect, testutil.Logger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = cons.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	publish := func(key string, seq int64) events.Envelope {
		ev := seqEvent(t, key, seq)
		e.publish(ev, ev.ID.String())
		return ev
	}
	publish("before", 1)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM effects`) == 1 }, "applied before the outage")

	proxy.Cut()
	cutAt := time.Now()
	want := map[string]int64{"before": 1}
	for i := int64(1); time.Since(cutAt) < outage; i++ {
		for _, key := range []string{"a", "b", "c"} {
			publish(key, i)
			want[key] = i
		}
		testutil.Eventually(t, outage, func() bool { return time.Since(cutAt) > time.Duration(i)*outage/5 }, "next round")
		if i == 1 {
			testutil.Eventually(t, 10*time.Second, func() bool { return cons.Ready(context.Background()) != nil },
				"consumer reports the outage on readiness")
		}
	}
	proxy.Restore()
	total := 0
	for _, n := range want {
		total += int(n)
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return e.count(`SELECT count(*) FROM effects`) == total },
		"every event applied after the outage")
	e.assertAppliedInOrder(want)
	if got := e.count(`SELECT count(*) FROM consumer_dead_letter`); got != 0 {
		t.Fatalf("%d events dead-lettered because Postgres was away", got)
	}
	if got := e.count(`SELECT count(*) FROM consumer_failure`); got != 0 {
		t.Fatalf("the outage was counted as %d handler failures", got)
	}
	var transient float64
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "pitstop_consumer_transient_failures_total" {
			for _, m := range mf.GetMetric() {
				transient += m.GetCounter().GetValue()
			}
		}
	}
	if transient == 0 {
		t.Fatal("the outage was not counted as a transient failure")
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return cons.Ready(context.Background()) == nil }, "ready again")
}
