package clustertest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// BenchmarkRelayDrainsABacklog measures how many events per second one outbox relay
// (log source) publishes into the PITSTOP stream, draining a backlog of 20,000 rows
// (100 aggregates) per iteration: into an R1 stream on a single server, an R1 stream on
// a three-node cluster, and an R3 stream on that cluster (every publish acknowledged
// only once a quorum of two nodes has it). Run it with
//
//	go test -run '^$' -bench RelayDrains -benchtime 3x ./shared-go/clustertest
func BenchmarkRelayDrainsABacklog(b *testing.B) {
	for _, c := range []struct {
		name     string
		nodes    int
		replicas int
	}{{"single-R1", 1, 1}, {"cluster-R1", 3, 1}, {"cluster-R3", 3, 3}} {
		b.Run(c.name, func(b *testing.B) {
			var url string
			if c.nodes == 1 {
				url = testutil.StartNATS(b).URL()
			} else {
				url = testutil.StartNATSCluster(b, c.nodes).URLs()
			}
			benchmarkRelay(b, config.NATS{URL: url, StreamReplicas: c.replicas})
		})
	}
}

func benchmarkRelay(b *testing.B, natsCfg config.NATS) {
	const backlog, aggregates, perTx = 20000, 100, 1000
	ctx := context.Background()
	dbURL := testutil.Database(b)
	testutil.RequireLogicalWAL(b, dbURL)
	pool := testutil.Pool(b, dbURL, schema)
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		b.Fatal(err)
	}
	nc, _, err := app.ConnectNATS(ctx, natsCfg, "bench-relay", testutil.Logger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var acked atomic.Int64
	var target atomic.Int64
	done := make(chan struct{}, 1)
	newRelay := func() *outbox.Relay {
		r, err := outbox.NewRelay(pool, nc, outbox.RelayConfig{Schema: schema, Source: outbox.SourceLog,
			ElectionInterval: 10 * time.Millisecond, PollInterval: 50 * time.Millisecond,
			OnAck: func(uuid.UUID, time.Time) {
				if acked.Add(1) == target.Load() {
					done <- struct{}{}
				}
			}}, testutil.Logger(b), prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	if err := newRelay().Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	w := outbox.NewWriter(schema)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for n := 0; n < backlog; n += perTx {
			err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
				evs := make([]events.Envelope, 0, perTx)
				for j := range perTx {
					ev, err := events.New("pitstop/clustertest", pinged{Agg: fmt.Sprintf("agg-%03d", (n+j)%aggregates)}, time.Now())
					if err != nil {
						return err
					}
					evs = append(evs, ev)
				}
				return w.Add(ctx, tx, evs...)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		target.Store(int64((i + 1) * backlog))
		r := newRelay()
		rctx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		b.StartTimer()
		go func() { _ = r.Run(rctx); close(stopped) }()
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("relay acknowledged %d of %d", acked.Load(), target.Load())
		}
		b.StopTimer()
		cancel()
		<-stopped
	}
	b.ReportMetric(float64(b.N*backlog)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}
