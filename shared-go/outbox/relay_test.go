package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "relaytest"

type pinged struct {
	N   int    `json:"n"`
	Agg string `json:"agg"`
}

func (pinged) EventType() string      { return "pitstop.relaytest.Pinged" }
func (p pinged) EventSubject() string { return p.Agg }

type env struct {
	t      testing.TB
	source outbox.Source
	pool   *pgxpool.Pool
	nats   *testutil.NATSServer
	nc     *nats.Conn
	js     jetstream.JetStream
	w      *outbox.Writer
}

// sources are the relay sources every test of the suite runs against (ADR 0006).
var sources = []outbox.Source{outbox.SourceLog, outbox.SourcePoll}

// relaySuite is one suite of relay guarantees, run once per source by TestRelay.
var relaySuite = []struct {
	name string
	test func(t *testing.T, src outbox.Source)
}{
	{"PublishesCommittedEventsWithCloudEventsHeaders", relayPublishesCommittedEventsWithCloudEventsHeaders},
	{"NothingPublishedForRolledBackTransaction", relayNothingPublishedForRolledBackTransaction},
	{"PublishesRowsOfLateCommittingTransactions", relayPublishesRowsOfLateCommittingTransactions},
	{"CrashBetweenPubAckAndDeleteLosesNothingAndDuplicatesAreAbsorbed", relayCrashBetweenPubAckAndDeleteLosesNothingAndDuplicatesAreAbsorbed},
	{"BrokerRestartMidDrainLosesNothing", relayBrokerRestartMidDrainLosesNothing},
	{"OnlyOneOfTwoRelaysPublishesAndTheStandbyTakesOver", relayOnlyOneOfTwoRelaysPublishesAndTheStandbyTakesOver},
	{"LeaderWhoseSessionIsKilledStepsDown", relayLeaderWhoseSessionIsKilledStepsDown},
	{"DeadLettersPoisonRowsWhileLaterRowsFlow", relayDeadLettersPoisonRowsWhileLaterRowsFlow},
	{"WakesWithoutWaitingForThePoll", relayWakesWithoutWaitingForThePoll},
	{"RetryingRowHoldsBackItsAggregateOnly", relayRetryingRowHoldsBackItsAggregateOnly},
	{"BrokerRefusingTheFirstOfABatchKeepsTheAggregateInOrder", relayBrokerRefusingTheFirstOfABatchKeepsTheAggregateInOrder},
	{"TransientFailureNeitherCountsNorReorders", relayTransientFailureNeitherCountsNorReorders},
	{"DeclaresADeletedStreamAgainAndDeadLettersNothing", relayDeclaresADeletedStreamAgainAndDeadLettersNothing},
	{"RidesOutAPostgresOutage", relayRidesOutAPostgresOutage},
	{"LeaderIsolatedFromPostgresStepsDownAndPublishesNothingMore", relayLeaderIsolatedFromPostgresStepsDownAndPublishesNothingMore},
}

// TestRelay runs the whole suite against the log source and against the polling source.
func TestRelay(t *testing.T) {
	for _, src := range sources {
		t.Run(string(src), func(t *testing.T) {
			t.Parallel()
			for _, c := range relaySuite {
				t.Run(c.name, func(t *testing.T) { c.test(t, src) })
			}
		})
	}
}

func setup(t testing.TB, src outbox.Source) *env {
	t.Helper()
	ctx := context.Background()
	dbURL := testutil.Database(t)
	if src == outbox.SourceLog {
		testutil.RequireLogicalWAL(t, dbURL)
	}
	pool := testutil.Pool(t, dbURL, schema)
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	ns := testutil.StartNATS(t)
	nc, js := ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, source: src, pool: pool, nats: ns, nc: nc, js: js, w: outbox.NewWriter(schema)}
	if src == outbox.SourceLog {
		// The slot exists before the test writes, so the test's rows come through the
		// stream (rows older than the slot are tested on their own).
		if err := e.relay(outbox.RelayConfig{}, nil).Prepare(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// insert commits n events in one transaction and returns their ids.
func (e *env) insert(n int, agg string) []string {
	e.t.Helper()
	var ids []string
	err := postgres.WithTx(context.Background(), e.pool, func(tx pgx.Tx) error {
		var evs []events.Envelope
		for i := range n {
			ev, err := events.New("pitstop/relaytest", pinged{N: i, Agg: agg}, time.Now())
			if err != nil {
				return err
			}
			evs = append(evs, ev)
			ids = append(ids, ev.ID.String())
		}
		// The command's actor, from its context, is stamped on every event.
		return e.w.Add(events.WithActor(context.Background(), "ann"), tx, evs...)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) relay(cfg outbox.RelayConfig, reg prometheus.Registerer) *outbox.Relay {
	e.t.Helper()
	cfg.Schema = schema
	cfg.Source = e.source
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.ElectionInterval == 0 {
		cfg.ElectionInterval = 50 * time.Millisecond
	}
	r, err := outbox.NewRelay(e.pool, e.nc, cfg, testutil.Logger(e.t), reg)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// start runs r until the returned stop is called (or the test ends); stop waits for Run.
func start(t *testing.T, r *outbox.Relay) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func (e *env) streamMsgs() uint64 {
	s, err := e.js.Stream(context.Background(), messaging.StreamName)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		return 0 // server restarting
	}
	return info.State.Msgs
}

func (e *env) outboxRows() int {
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// streamIDs reads every message in the stream and returns the ce-id of each, in order.
func (e *env) streamIDs() []jetstream.Msg {
	e.t.Helper()
	ctx := context.Background()
	total := e.streamMsgs()
	c, err := e.js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []jetstream.Msg
	for uint64(len(out)) < total {
		batch, err := c.Fetch(int(min(total-uint64(len(out)), 500)), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			e.t.Fatal(err)
		}
		for m := range batch.Messages() {
			out = append(out, m)
		}
	}
	return out
}

// assertOnce fails t unless every one of ids is in msgs exactly once.
func assertOnce(t *testing.T, msgs []jetstream.Msg, ids []string) {
	t.Helper()
	seen := idsOf(msgs)
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("event %s in stream %d times", id, seen[id])
		}
	}
}

func idsOf(msgs []jetstream.Msg) map[string]int {
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Headers().Get(events.HeaderID)]++
	}
	return seen
}

func relayPublishesCommittedEventsWithCloudEventsHeaders(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	before := time.Now().Add(-time.Second)
	ids := e.insert(50, "agg-1")
	after := time.Now().Add(time.Second)
	start(t, e.relay(outbox.RelayConfig{}, nil))
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 50 && e.outboxRows() == 0 },
		"50 events published and the outbox emptied")
	msgs := e.streamIDs()
	for i, m := range msgs {
		h := m.Headers()
		if got := h.Get(events.HeaderID); got != ids[i] {
			t.Fatalf("message %d: ce-id %s, want %s (commit order)", i, got, ids[i])
		}
		if h.Get(events.HeaderMsgID) != ids[i] || h.Get(events.HeaderSpecVersion) != "1.0" ||
			h.Get(events.HeaderType) != "pitstop.relaytest.Pinged" || h.Get(events.HeaderSubject) != "agg-1" ||
			h.Get(events.HeaderSource) != "pitstop/relaytest" || h.Get(events.HeaderContentType) != "application/json" ||
			h.Get(events.HeaderActor) != "ann" {
			t.Fatalf("message %d: headers %v", i, h)
		}
		if at, err := time.Parse(time.RFC3339Nano, h.Get(events.HeaderTime)); err != nil || at.Before(before) || at.After(after) {
			t.Fatalf("message %d: ce-time %q (%v), want the time the event occurred", i, h.Get(events.HeaderTime), err)
		}
		if h.Get(events.HeaderSeq) != fmt.Sprint(i+1) {
			t.Fatalf("message %d: %s %q, want %d", i, events.HeaderSeq, h.Get(events.HeaderSeq), i+1)
		}
		if m.Subject() != "pitstop.relaytest.Pinged" || !strings.Contains(string(m.Data()), fmt.Sprintf(`"n":%d`, i)) {
			t.Fatalf("message %d: subject %s body %s", i, m.Subject(), m.Data())
		}
	}
}

func relayNothingPublishedForRolledBackTransaction(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	ctx := context.Background()
	err := postgres.WithTx(ctx, e.pool, func(tx pgx.Tx) error {
		ev, _ := events.New("pitstop/relaytest", pinged{Agg: "rolled-back"}, time.Now())
		if err := e.w.Add(ctx, tx, ev); err != nil {
			return err
		}
		return errors.New("business failure")
	})
	if err == nil {
		t.Fatal("expected the transaction to fail")
	}
	e.insert(1, "committed")
	start(t, e.relay(outbox.RelayConfig{}, nil))
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 && e.streamMsgs() == 1 }, "committed row published")
	if got := e.streamIDs()[0].Headers().Get(events.HeaderSubject); got != "committed" {
		t.Fatalf("published %q, want only the committed event", got)
	}
}

// Sequence values are taken at insert time but become visible at commit time: a row with a
// lower id can appear after rows with higher ids were already published.
func relayPublishesRowsOfLateCommittingTransactions(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	ctx := context.Background()
	// The relay runs first (a log source has its slot: creating one waits for open
	// transactions to end, see relaySlotCreationBlocked...).
	start(t, e.relay(outbox.RelayConfig{}, nil))
	e.insert(1, "probe")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 1 }, "probe published")
	late, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = late.Rollback(ctx) }()
	lateEv, _ := events.New("pitstop/relaytest", pinged{Agg: "late"}, time.Now())
	if err := e.w.Add(ctx, late, lateEv); err != nil {
		t.Fatal(err)
	}
	early := e.insert(3, "early") // higher ids, committed first
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 4 }, "early rows published")
	if err := late.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 5 && e.outboxRows() == 0 },
		"the late-committing row published too")
	assertOnce(t, e.streamIDs(), append(early, lateEv.ID.String()))
}

// The relay dies after JetStream acknowledged a batch but before it deleted the rows:
// the restarted relay publishes them again and the duplicate window absorbs them.
func relayCrashBetweenPubAckAndDeleteLosesNothingAndDuplicatesAreAbsorbed(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	crashed := errors.New("simulated crash")
	var armed atomic.Bool
	// The crash comes only after the relay told Postgres how far it got (log source: a
	// standby status update after the batch was acknowledged), so that a relay that
	// confirmed a transaction before deleting its rows would lose them here.
	r1 := e.relay(outbox.RelayConfig{BatchSize: 100, BeforeDelete: func([]int64) error {
		if !armed.Load() {
			return nil
		}
		e.awaitStatusReport(time.Now())
		return crashed
	}}, nil)
	done := make(chan error, 1)
	go func() { done <- r1.Run(context.Background()) }()
	e.insert(1, "probe") // the relay streams before the rows are written
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 1 && e.outboxRows() == 0 }, "probe published")
	armed.Store(true)
	ids := e.insert(300, "crash")
	select {
	case err := <-done: // returns on the injected crash
		if !errors.Is(err, crashed) {
			t.Fatalf("Run = %v, want the injected crash", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the relay did not reach the injected crash")
	}
	if got := e.outboxRows(); got != 300 {
		t.Fatalf("outbox rows after crash = %d, want 300 (nothing deleted)", got)
	}
	if e.streamMsgs() == 1 {
		t.Fatal("the crashed relay should have published its first batch")
	}
	start(t, e.relay(outbox.RelayConfig{BatchSize: 100}, nil))
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "restarted relay drains the outbox")
	if got := e.streamMsgs(); got != 301 {
		t.Fatalf("stream holds %d messages, want 301 (re-published batch de-duplicated)", got)
	}
	assertOnce(t, e.streamIDs(), ids)
}

// awaitStatusReport waits until Postgres has received a standby status update from the
// log source's WAL sender later than since (a no-op for the polling source). It runs in
// relay hooks, off the test goroutine: it reports nothing, it only waits (at most 10 s).
func (e *env) awaitStatusReport(since time.Time) {
	if e.source != outbox.SourceLog {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var last time.Time
		err := e.pool.QueryRow(context.Background(), `SELECT coalesce(max(r.reply_time), '-infinity')
			FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
			WHERE s.database = current_database()`).Scan(&last)
		if err == nil && last.After(since) {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// The broker dies in the middle of a large drain; the relay rides it out and the stream
// ends with every event exactly once.
func relayBrokerRestartMidDrainLosesNothing(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	const n = 20000
	var ids []string
	for i := range n / 1000 {
		for a := range 10 { // 10 aggregates, 100 events each per round
			ids = append(ids, e.insert(100, fmt.Sprintf("broker-%d", a))...)
		}
		_ = i
	}
	reg := prometheus.NewRegistry()
	r := e.relay(outbox.RelayConfig{BatchSize: 500, AckTimeout: time.Second}, reg)
	start(t, r)
	testutil.Eventually(t, 20*time.Second, func() bool { return e.streamMsgs() > 0 }, "relay started publishing")
	before := e.streamMsgs()
	e.nats.Restart()
	t.Logf("broker restarted after %d of %d events were stored", before, n)
	testutil.Eventually(t, 60*time.Second, func() bool { return e.outboxRows() == 0 }, "outbox drained after broker restart")
	msgs := e.streamIDs()
	seen := idsOf(msgs)
	for _, id := range ids {
		if seen[id] == 0 {
			t.Fatalf("event %s lost", id)
		}
	}
	assertAggregateOrder(t, msgs)
	if got := e.streamMsgs(); got != n {
		t.Fatalf("stream holds %d messages, want %d", got, n)
	}
	var dead int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox_dead_letter`).Scan(&dead)
	if dead != 0 {
		t.Fatalf("%d rows dead-lettered during a broker outage; outages must not count as attempts", dead)
	}
}

func relayOnlyOneOfTwoRelaysPublishesAndTheStandbyTakesOver(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	a := e.relay(outbox.RelayConfig{}, regA)
	b := e.relay(outbox.RelayConfig{}, regB)
	stopA := start(t, a)
	stopB := start(t, b)
	testutil.Eventually(t, 10*time.Second, func() bool { return a.IsLeader() != b.IsLeader() }, "exactly one leader")
	for range 10 {
		e.insert(20, "leader")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // poll with a deadline
		rows, msgs := e.outboxRows(), e.streamMsgs()
		if rows == 0 && msgs == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all published after 10s: %d rows left, %d messages in the stream", rows, msgs)
		}
	}
	// The published counter moves just after the rows are deleted.
	testutil.Eventually(t, 10*time.Second, func() bool { return published(t, regA)+published(t, regB) >= 200 }, "published counted")
	pa, pb := published(t, regA), published(t, regB)
	if a.IsLeader() == b.IsLeader() || (pa > 0 && pb > 0) || pa+pb != 200 {
		t.Fatalf("leaders a=%v b=%v published a=%v b=%v: want exactly one relay publishing all 200", a.IsLeader(), b.IsLeader(), pa, pb)
	}
	leader, standby, stopLeader, standbyReg := a, b, stopA, regB
	if b.IsLeader() {
		leader, standby, stopLeader, standbyReg = b, a, stopB, regA
	}
	_ = stopLeader()
	if leader.IsLeader() {
		t.Fatal("stopped relay still claims leadership")
	}
	testutil.Eventually(t, 10*time.Second, standby.IsLeader, "standby takes over")
	e.insert(30, "after-failover")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 && e.streamMsgs() == 230 }, "standby publishes")
	testutil.Eventually(t, 10*time.Second, func() bool { return published(t, standbyReg) >= 30 }, "the standby counts at least 30 published")
}

// When the leader's Postgres session dies (killed by an operator, network cut), its lock
// is gone: it must stop leading, and the standby must take over.
func relayLeaderWhoseSessionIsKilledStepsDown(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	// a would wait a minute before running for leader again: after the kill, only b can lead.
	a := e.relay(outbox.RelayConfig{ElectionInterval: time.Minute}, nil)
	start(t, a)
	testutil.Eventually(t, 10*time.Second, a.IsLeader, "a leads")
	b := e.relay(outbox.RelayConfig{}, nil)
	start(t, b)
	// Kill the session holding the advisory lock.
	_, err := e.pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		t.Fatal(err)
	}
	// Not "exactly one leader": that already held before the kill. The killed leader
	// must notice and step down, and the standby must take over.
	testutil.Eventually(t, 15*time.Second, func() bool { return !a.IsLeader() && b.IsLeader() }, "a steps down, b takes over")
	e.insert(10, "after-kill")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 && e.streamMsgs() == 10 }, "published after the kill")
}

func relayDeadLettersPoisonRowsWhileLaterRowsFlow(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	ctx := context.Background()
	// Poison 1: a subject no stream captures (no responders), retried then dead-lettered.
	// Poison 2: a payload above the broker's max payload, dead-lettered at once.
	_, err := e.pool.Exec(ctx, `INSERT INTO outbox (event_id, event_type, source, subject, occurred_at, payload) VALUES
		(gen_random_uuid(), 'unrouted.Nowhere', 'pitstop/relaytest', 'x', now(), '{}'),
		(gen_random_uuid(), 'pitstop.relaytest.Huge', 'pitstop/relaytest', 'y', now(), convert_to('{"x":"' || repeat('a', 2*1024*1024) || '"}', 'UTF8'))`)
	if err != nil {
		t.Fatal(err)
	}
	good := e.insert(5, "good")
	reg := prometheus.NewRegistry()
	start(t, e.relay(outbox.RelayConfig{MaxAttempts: 3}, reg))
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 5 }, "good rows flow past the poison")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "poison rows leave the outbox")
	rows, err := e.pool.Query(ctx, `SELECT event_type, attempts, error FROM outbox_dead_letter ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type dl struct {
		typ      string
		attempts int
		reason   string
	}
	dls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dl, error) {
		var d dl
		return d, r.Scan(&d.typ, &d.attempts, &d.reason)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 2 || dls[0].typ != "unrouted.Nowhere" || dls[0].attempts != 3 || dls[0].reason == "" ||
		dls[1].typ != "pitstop.relaytest.Huge" || !strings.Contains(dls[1].reason, "max payload") {
		t.Fatalf("dead letters = %+v", dls)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		return promtest.ToFloat64(mustCounter(t, reg, "pitstop_outbox_dead_lettered_total")) == 2
	}, "dead-lettered metric reaches 2")
	assertOnce(t, e.streamIDs(), good)
}

// Neither source waits for the poll: the log source streams, the polling source is
// woken by NOTIFY.
func relayWakesWithoutWaitingForThePoll(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	r := e.relay(outbox.RelayConfig{PollInterval: time.Hour}, nil)
	start(t, r)
	testutil.Eventually(t, 10*time.Second, r.IsLeader, "leader")
	// Give the relay its first (empty) drain, then a row: only NOTIFY can wake it now.
	testutil.Eventually(t, 10*time.Second, func() bool { return e.outboxRows() == 0 }, "idle")
	e.insert(1, "notify")
	testutil.Eventually(t, 5*time.Second, func() bool { return e.streamMsgs() == 1 }, "published with an hour-long poll interval")
}

func published(t *testing.T, reg *prometheus.Registry) float64 {
	return promtest.ToFloat64(mustCounter(t, reg, "pitstop_outbox_published_total"))
}

func mustCounter(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			v := mf.GetMetric()[0].GetCounter().GetValue()
			c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "copy"})
			c.Add(v)
			return c
		}
	}
	t.Fatalf("metric %s not found", name)
	return nil
}

// A row being retried holds back the later rows of its own aggregate (per-aggregate
// order) but not the rows of other aggregates.
func relayRetryingRowHoldsBackItsAggregateOnly(t *testing.T, src outbox.Source) {
	t.Parallel()
	e := setup(t, src)
	ctx := context.Background()
	// The first event of aggregate "held" cannot be routed (no stream captures it).
	if _, err := e.pool.Exec(ctx, `INSERT INTO outbox (event_id, event_type, source, subject, occurred_at, payload)
		VALUES (gen_random_uuid(), 'unrouted.Nowhere', 'pitstop/relaytest', 'held', now(), '{}')`); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	start(t, e.relay(outbox.RelayConfig{MaxAttempts: 1000}, reg))
	testutil.Eventually(t, 10*time.Second, func() bool {
		return promtest.ToFloat64(mustCounter(t, reg, "pitstop_outbox_publish_failures_total")) >= 1
	}, "the stuck row failed once")
	failures := promtest.ToFloat64(mustCounter(t, reg, "pitstop_outbox_publish_failures_total"))
	heldLater := e.insert(2, "held")
	other := e.insert(2, "other")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 2 }, "the other aggregate flows")
	// Let the relay retry the stuck row a few times, then check the held rows waited.
	testutil.Eventually(t, 10*time.Second, func() bool {
		return promtest.ToFloat64(mustCounter(t, reg, "pitstop_outbox_publish_failures_total")) >= failures+3
	}, "stuck row retried while the others were there")
	msgs := e.streamIDs()
	assertOnce(t, msgs, other)
	seen := idsOf(msgs)
	for _, id := range heldLater {
		if seen[id] != 0 {
			t.Fatalf("event %s overtook the earlier, unpublished event of its aggregate", id)
		}
	}
	// An operator removes the stuck row: the held events follow, in order.
	if _, err := e.pool.Exec(ctx, `DELETE FROM outbox WHERE event_type = 'unrouted.Nowhere'`); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return e.streamMsgs() == 4 }, "held events published")
	msgs = e.streamIDs()
	if msgs[2].Headers().Get(events.HeaderID) != heldLater[0] || msgs[3].Headers().Get(events.HeaderID) != heldLater[1] {
		t.Fatal("held events published out of order")
	}
}

// assertAggregateOrder checks that the stream holds each aggregate's events once each,
// in sequence order 1, 2, 3, ... (pitstop-seq, by ce-subject).
func assertAggregateOrder(t *testing.T, msgs []jetstream.Msg) {
	t.Helper()
	last := map[string]int64{}
	for _, m := range msgs {
		agg := m.Headers().Get(events.HeaderSubject)
		var seq int64
		if _, err := fmt.Sscan(m.Headers().Get(events.HeaderSeq), &seq); err != nil {
			t.Fatalf("message %s without %s: %v", m.Headers().Get(events.HeaderID), events.HeaderSeq, err)
		}
		if seq != last[agg]+1 {
			t.Fatalf("aggregate %s: seq %d follows seq %d in the stream (lost, doubled or reordered)", agg, seq, last[agg])
		}
		last[agg] = seq
	}
}
