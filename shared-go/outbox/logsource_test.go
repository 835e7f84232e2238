package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// Tests of what only the log source has: its slot's life cycle, writers that stop
// notifying, the fallback while a slot cannot be created, and its metrics. Every
// guarantee both sources share is in relaySuite.

// slotOf returns the log source's slot name in e's database.
func (e *env) slotOf() string {
	e.t.Helper()
	var db string
	if err := e.pool.QueryRow(context.Background(), `SELECT current_database()`).Scan(&db); err != nil {
		e.t.Fatal(err)
	}
	return outbox.SlotName(schema, db)
}

// slotState reports whether the slot exists and whether it is being read.
func (e *env) slotState() (exists, active bool) {
	e.t.Helper()
	err := e.pool.QueryRow(context.Background(), `SELECT true, active FROM pg_replication_slots WHERE slot_name = $1`,
		e.slotOf()).Scan(&exists, &active)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return exists, active
}

func (e *env) dropSlot() {
	e.t.Helper()
	testutil.Eventually(e.t, 10*time.Second, func() bool {
		_, active := e.slotState()
		return !active
	}, "slot released")
	// As `pitstop slots drop` does: the slot and its record.
	if _, err := e.pool.Exec(context.Background(), `SELECT pg_drop_replication_slot($1)`, e.slotOf()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.pool.Exec(context.Background(), `DELETE FROM outbox_slot WHERE slot_name = $1`, e.slotOf()); err != nil {
		e.t.Fatal(err)
	}
}

// logEnv is a log-source environment whose slot does not exist yet.
func logEnv(t *testing.T) *env {
	e := setup(t, outbox.SourceLog)
	e.dropSlot()
	return e
}

// Rows committed before the slot existed are not in its stream: the new slot's snapshot
// marks them held and they are published from the table, once, before the later rows
// of their aggregates that come through the stream.
func TestLogSourcePublishesRowsOlderThanItsSlotFromTheTable(t *testing.T) {
	t.Parallel()
	e := logEnv(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.insert(20, []string{"a", "b"}[i%2])...)
	}
	r := e.relay(outbox.RelayConfig{BatchSize: 30}, nil)
	start(t, r)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "older rows published")
	if exists, _ := e.slotState(); !exists {
		t.Fatal("the relay did not create its slot")
	}
	ids = append(ids, e.insert(20, "a")...)
	ids = append(ids, e.insert(20, "c")...)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == uint64(len(ids)) && e.outboxRows() == 0 },
		"later rows streamed")
	msgs := e.streamIDs()
	assertOnce(t, msgs, ids)
	assertAggregateOrder(t, msgs)
	if r.Source() != outbox.SourceLog {
		t.Fatalf("relay leads with %q, want log", r.Source())
	}
}

// An operator drops the slot while no relay runs (the disk was filling): the events
// committed meanwhile are still in the table, and the next leader publishes them. The
// slot dropped behind Pitstop's back (its record left) is recognised too.
func TestLogSourceLosesNothingWhenItsSlotIsDropped(t *testing.T) {
	t.Parallel()
	e := setup(t, outbox.SourceLog)
	stop := start(t, e.relay(outbox.RelayConfig{}, nil))
	ids := e.insert(10, "x")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "streamed")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, e.insert(10, "x")...)
	testutil.Eventually(t, 10*time.Second, func() bool {
		_, active := e.slotState()
		return !active
	}, "slot released by the stopped relay's WAL sender")
	if _, err := e.pool.Exec(context.Background(), `SELECT pg_drop_replication_slot($1)`, e.slotOf()); err != nil {
		t.Fatal(err) // with plain SQL: the record of the slot stays
	}
	ids = append(ids, e.insert(10, "x")...)
	start(t, e.relay(outbox.RelayConfig{}, nil))
	ids = append(ids, e.insert(10, "x")...)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 40 && e.outboxRows() == 0 }, "all published")
	msgs := e.streamIDs()
	assertOnce(t, msgs, ids)
	assertAggregateOrder(t, msgs)
}

// A slot that exists without its record in outbox_slot was created by a relay that died
// before marking the older rows held: the next leader drops it and starts over.
func TestLogSourceReplacesASlotThatWasNeverAdopted(t *testing.T) {
	t.Parallel()
	e := logEnv(t)
	ids := e.insert(10, "y")
	if _, err := e.pool.Exec(context.Background(), `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, e.slotOf()); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, e.insert(10, "y")...)
	start(t, e.relay(outbox.RelayConfig{}, nil))
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 20 && e.outboxRows() == 0 }, "all published")
	assertOnce(t, e.streamIDs(), ids)
	var adopted int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox_slot WHERE slot_name = $1`, e.slotOf()).Scan(&adopted); err != nil || adopted != 1 {
		t.Fatalf("slot record: %d (%v), want 1", adopted, err)
	}
}

// While a relay streams the slot, a writing transaction does not call pg_notify (no
// cluster-wide NOTIFY lock at commit); with a polling relay it does.
func TestWritersNotifyOnlyWhenNoRelayStreams(t *testing.T) {
	t.Parallel()
	for _, src := range sources {
		t.Run(string(src), func(t *testing.T) {
			t.Parallel()
			e := setup(t, src)
			r := e.relay(outbox.RelayConfig{}, nil)
			start(t, r)
			e.insert(1, "warm-up")
			testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 1 }, "relay running")
			ctx := context.Background()
			listener, err := pgx.Connect(ctx, e.pool.Config().ConnString())
			if err != nil {
				t.Fatal(err)
			}
			defer listener.Close(ctx)
			if _, err := listener.Exec(ctx, `LISTEN `+pgx.Identifier{outbox.Channel(schema)}.Sanitize()); err != nil {
				t.Fatal(err)
			}
			e.insert(1, "watched")
			testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 2 }, "published")
			// A notification is sent at commit, before the relay can publish: by now it
			// is in the listener's socket. A round trip reads it into the buffer.
			if _, err := listener.Exec(ctx, `SELECT 1`); err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			_, err = listener.WaitForNotification(wctx)
			notified := err == nil
			if want := src == outbox.SourcePoll; notified != want {
				t.Fatalf("source %s: writer notified = %v, want %v", src, notified, want)
			}
		})
	}
}

// Creating a slot waits for every open transaction to end. A transaction left open
// must not stall the relay: it polls the table meanwhile, and tails the log once the
// slot could be created.
func TestLogSourcePollsWhileAnOpenTransactionBlocksItsSlot(t *testing.T) {
	t.Parallel()
	e := logEnv(t)
	ctx := context.Background()
	open, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = open.Rollback(ctx) }()
	if _, err := open.Exec(ctx, `SELECT txid_current()`); err != nil { // holds an xid
		t.Fatal(err)
	}
	r := e.relay(outbox.RelayConfig{SlotWait: 300 * time.Millisecond, SlotRetry: 500 * time.Millisecond}, nil)
	start(t, r)
	ids := e.insert(5, "meanwhile")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 5 && e.outboxRows() == 0 }, "published by polling")
	if exists, _ := e.slotState(); exists {
		t.Fatal("a slot appeared while a transaction was open")
	}
	if err := open.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, func() bool { return r.Source() == outbox.SourceLog }, "tails the log once the transaction ended")
	ids = append(ids, e.insert(5, "meanwhile")...)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 10 && e.outboxRows() == 0 }, "streamed")
	msgs := e.streamIDs()
	assertOnce(t, msgs, ids)
	assertAggregateOrder(t, msgs)
}

// The relay says which source it leads with, and how much WAL its slot keeps.
func TestLogSourceMetrics(t *testing.T) {
	t.Parallel()
	e := setup(t, outbox.SourceLog)
	reg := prometheus.NewRegistry()
	r := e.relay(outbox.RelayConfig{}, reg)
	stop := start(t, r)
	e.insert(3, "m")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "streamed")
	if got := metricValue(t, reg, "pitstop_outbox_relay_source", "source", "log"); got != 1 {
		t.Fatalf("pitstop_outbox_relay_source{source=log} = %v, want 1", got)
	}
	if got := metricValue(t, reg, "pitstop_outbox_relay_source", "source", "poll"); got != 0 {
		t.Fatalf("pitstop_outbox_relay_source{source=poll} = %v, want 0", got)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return metricValue(t, reg, "pitstop_outbox_slot_retained_bytes") > 0 },
		"retained WAL reported")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := metricValue(t, reg, "pitstop_outbox_relay_source"); got != 0 {
		t.Fatalf("a relay that stopped leading still reports a source (%v)", got)
	}
}
