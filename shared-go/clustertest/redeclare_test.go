package clustertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// The stream is deleted under a running relay in a cluster: the relay declares it again
// with the configured replicas (NATS_STREAM_REPLICAS), not at R1, and publishes on.
func TestRelayDeclaresADeletedStreamAgainWithTheClustersReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := outboxDB(t)
	cluster := testutil.StartNATSCluster(t, 3)
	natsCfg := config.NATS{URL: cluster.URLs(), StreamReplicas: 3}
	nc, js, err := app.ConnectNATS(ctx, natsCfg, "clustertest-redeclare", testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	relay, err := outbox.NewRelay(pool, nc, outbox.RelayConfig{Schema: schema, Source: outbox.SourceLog,
		StreamReplicas: natsCfg.StreamReplicas, PollInterval: 50 * time.Millisecond, ElectionInterval: 50 * time.Millisecond,
		AckTimeout: 2 * time.Second}, testutil.Logger(t), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	run(t, relay.Run)
	w := outbox.NewWriter(schema)
	publish := func(agg string) {
		t.Helper()
		ev, err := events.New("pitstop/clustertest", pinged{Agg: agg}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return w.Add(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 30*time.Second, func() bool { return count(t, pool, `SELECT count(*) FROM outbox`) == 0 },
			"published")
	}
	publish("before")
	if err := js.DeleteStream(ctx, messaging.StreamName); err != nil {
		t.Fatal(err)
	}
	publish("after")
	s, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.State.Msgs != 1 {
		t.Fatalf("stream declared again with %d replicas holding %d messages, want 3 replicas and the one event",
			info.Config.Replicas, info.State.Msgs)
	}
}
