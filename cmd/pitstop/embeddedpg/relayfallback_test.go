package embeddedpg_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/cmd/pitstop/embeddedpg"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

type fallbackPing struct{ N int }

func (fallbackPing) EventType() string    { return "pitstop.relaytest.Pinged" }
func (fallbackPing) EventSubject() string { return "fallback" }

// On a server that cannot decode its WAL (wal_level=replica, as some managed databases
// insist), the relay with RELAY_SOURCE=auto says so once at start-up and polls the table;
// with RELAY_SOURCE=log it refuses to lead and says why.
func TestRelayFallsBackToPollingWithoutLogicalWAL(t *testing.T) {
	if _, err := embeddedpg.FindBinDir(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	ctx := context.Background()
	c, err := embeddedpg.New(filepath.Join(t.TempDir(), "pg"), freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	c.Settings = map[string]string{"wal_level": "replica"}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	const schema = "relaytest"
	pool := testutil.Pool(t, c.URL("postgres"), schema)
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	ns := testutil.StartNATS(t)
	nc, js := ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	run := func(src outbox.Source) (*outbox.Relay, *testutil.SyncBuffer, func()) {
		var logs testutil.SyncBuffer
		r, err := outbox.NewRelay(pool, nc, outbox.RelayConfig{Schema: schema, Source: src,
			PollInterval: 50 * time.Millisecond, ElectionInterval: 50 * time.Millisecond},
			slog.New(slog.NewTextHandler(&logs, nil)), nil)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = r.Run(rctx) }()
		stop := func() { cancel(); <-done }
		t.Cleanup(stop)
		return r, &logs, stop
	}

	forced, forcedLogs, stopForced := run(outbox.SourceLog)
	testutil.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(forcedLogs.String(), "RELAY_SOURCE=log needs wal_level=logical")
	}, "a forced log source says why it cannot lead")
	if forced.Source() != "" {
		t.Fatalf("a forced log source leads with %q on a server without logical WAL", forced.Source())
	}
	stopForced()

	auto, logs, _ := run(outbox.SourceAuto)
	w := outbox.NewWriter(schema)
	for i := range 5 {
		ev, err := events.New("pitstop/relaytest", fallbackPing{N: i}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return w.Add(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.State.Msgs == 5
	}, "published by the polling source")
	if got := auto.Source(); got != outbox.SourcePoll {
		t.Fatalf("auto source leads with %q, want poll", got)
	}
	if n := strings.Count(logs.String(), "falls back to polling"); n != 1 {
		t.Fatalf("the fallback was logged %d times, want once:\n%s", n, logs.String())
	}
	var slots int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots`).Scan(&slots); err != nil || slots != 0 {
		t.Fatalf("replication slots on a server without logical WAL: %d (%v)", slots, err)
	}
}
