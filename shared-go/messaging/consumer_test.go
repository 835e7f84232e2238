package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "consumertest"

type touched struct {
	Key string `json:"key"`
}

func (touched) EventType() string      { return "pitstop.consumertest.Touched" }
func (t touched) EventSubject() string { return t.Key }

type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	js   jetstream.JetStream
	reg  *prometheus.Registry
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	if err := messaging.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE effects (event_id uuid NOT NULL, key text NOT NULL CHECK (key <> 'violates'))`); err != nil {
		t.Fatal(err)
	}
	_, js := testutil.StartNATS(t).Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, pool: pool, js: js, reg: prometheus.NewRegistry()}
}

// effect is the handler's side effect: one row per handled event.
func effect(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
	var p touched
	if err := ev.Decode(&p); err != nil {
		return fmt.Errorf("%w: %w", messaging.ErrPermanent, err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO effects (event_id, key) VALUES ($1, $2)`, ev.ID, p.Key)
	return err
}

func (e *env) run(cfg messaging.ConsumerConfig, h messaging.Handler) {
	e.t.Helper()
	if cfg.Name == "" {
		cfg.Name = "test-consumer"
	}
	c, err := messaging.NewConsumer(e.pool, e.js, cfg, h, testutil.Logger(e.t), e.reg)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// publish sends ev; msgID overrides Nats-Msg-Id so that a "redelivery" bypasses the
// stream's duplicate window, as a relay retry after the window would.
func (e *env) publish(ev events.Envelope, msgID string) {
	e.t.Helper()
	m := ev.Msg()
	m.Header.Set(events.HeaderMsgID, msgID)
	if _, err := e.js.PublishMsg(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) metric(name string) float64 {
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

func newEvent(t *testing.T, key string) events.Envelope {
	ev, err := events.New("pitstop/consumertest", touched{Key: key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestConsumerSameEventTwiceHasOneEffect(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.run(messaging.ConsumerConfig{}, effect)
	ev := newEvent(t, "a")
	e.publish(ev, "first")
	e.publish(ev, "second") // same ce-id, different Nats-Msg-Id: reaches the consumer twice
	marker := newEvent(t, "marker")
	e.publish(marker, marker.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM effects WHERE key = 'marker'`) == 1
	}, "marker processed")
	if got := e.count(`SELECT count(*) FROM effects WHERE event_id = $1`, ev.ID); got != 1 {
		t.Fatalf("effects of the duplicated event = %d, want 1", got)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { return e.metric("pitstop_consumer_duplicates_total") == 1 },
		"duplicate counted")
}

func TestConsumerHandlerErrorIsRedeliveredThenDeadLettered(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var calls atomic.Int32
	e.run(messaging.ConsumerConfig{MaxDeliver: 3, Backoff: []time.Duration{10 * time.Millisecond}},
		func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
			var p touched
			_ = ev.Decode(&p)
			if p.Key == "always-fails" {
				calls.Add(1)
				return errors.New("downstream unavailable")
			}
			return effect(ctx, tx, ev)
		})
	bad := newEvent(t, "always-fails")
	e.publish(bad, bad.ID.String())
	good := newEvent(t, "after")
	e.publish(good, good.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM consumer_dead_letter`) == 1
	}, "poison message dead-lettered")
	var reason, evID string
	var deliveries int
	var data []byte
	if err := e.pool.QueryRow(context.Background(),
		`SELECT reason, event_id, deliveries, data FROM consumer_dead_letter`).Scan(&reason, &evID, &deliveries, &data); err != nil {
		t.Fatal(err)
	}
	if reason != "downstream unavailable" || evID != bad.ID.String() || deliveries != 3 || string(data) != string(bad.Data) {
		t.Fatalf("dead letter = reason %q id %s deliveries %d data %s", reason, evID, deliveries, data)
	}
	if calls.Load() != 3 {
		t.Fatalf("handler called %d times, want 3 (MaxDeliver)", calls.Load())
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM effects WHERE key = 'after'`) == 1
	}, "the event behind the poison is processed")
	if got := e.count(`SELECT count(*) FROM inbox WHERE event_id = $1`, bad.ID); got != 0 {
		t.Fatalf("failed event recorded in the inbox %d times", got)
	}
}

func TestConsumerTransientFailureRecoversWithOneEffect(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var calls atomic.Int32
	e.run(messaging.ConsumerConfig{Backoff: []time.Duration{10 * time.Millisecond}},
		func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
			// The effect is written, then the handler fails: the rollback must take the
			// effect AND the inbox row with it, or the retry would be skipped as a duplicate.
			if err := effect(ctx, tx, ev); err != nil {
				return err
			}
			if calls.Add(1) <= 2 {
				return errors.New("flaky")
			}
			return nil
		})
	ev := newEvent(t, "flaky")
	e.publish(ev, ev.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM effects WHERE event_id = $1`, ev.ID) == 1
	}, "effect committed on the third delivery")
	if got := e.count(`SELECT count(*) FROM inbox WHERE event_id = $1`, ev.ID); got != 1 {
		t.Fatalf("inbox rows = %d, want 1", got)
	}
	if calls.Load() != 3 {
		t.Fatalf("handler calls = %d, want 3", calls.Load())
	}
	testutil.Eventually(t, 5*time.Second, func() bool { return e.metric("pitstop_consumer_redeliveries_total") == 2 },
		"two redeliveries counted")
}

// A failing effect (a constraint violation inside the handler's statement) must not leave
// its inbox row behind: inbox and effect commit or roll back together.
func TestConsumerInboxRowRollsBackWithAFailedEffect(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.run(messaging.ConsumerConfig{MaxDeliver: 2, Backoff: []time.Duration{10 * time.Millisecond}}, effect)
	ev := newEvent(t, "violates")
	e.publish(ev, ev.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM consumer_dead_letter WHERE event_id = $1`, ev.ID.String()) == 1
	}, "dead-lettered after the failed effects")
	if got := e.count(`SELECT count(*) FROM inbox WHERE event_id = $1`, ev.ID); got != 0 {
		t.Fatalf("inbox holds the failed event (%d rows) though its effect rolled back", got)
	}
	if got := e.count(`SELECT count(*) FROM effects`); got != 0 {
		t.Fatalf("effects = %d, want 0", got)
	}
}

func TestConsumerDeadLettersMalformedMessagesAtOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var calls atomic.Int32
	e.run(messaging.ConsumerConfig{}, func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		calls.Add(1)
		return effect(ctx, tx, ev)
	})
	ctx := context.Background()
	noID := &nats.Msg{Subject: "pitstop.consumertest.Touched", Header: nats.Header{}, Data: []byte(`{"key":"x"}`)}
	noID.Header.Set(events.HeaderSpecVersion, "1.0")
	if _, err := e.js.PublishMsg(ctx, noID); err != nil {
		t.Fatal(err)
	}
	notJSON := newEvent(t, "y").Msg()
	notJSON.Data = []byte("not json")
	if _, err := e.js.PublishMsg(ctx, notJSON); err != nil {
		t.Fatal(err)
	}
	good := newEvent(t, "good")
	e.publish(good, good.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM effects WHERE key = 'good'`) == 1 &&
			e.count(`SELECT count(*) FROM consumer_dead_letter WHERE deliveries = 1`) == 2
	}, "both malformed messages dead-lettered on first delivery, the good one processed")
	if calls.Load() != 1 {
		t.Fatalf("handler called %d times; malformed messages must not reach it", calls.Load())
	}
}

// The consumer is durable: events published while it is down are processed when it
// comes back, and a restart re-processes nothing.
func TestConsumerResumesAfterRestartWithoutReprocessing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "durable"}
	c1, err := messaging.NewConsumer(e.pool, e.js, cfg, effect, testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c1.Run(ctx1); close(done) }()
	for i := range 10 {
		ev := newEvent(t, fmt.Sprintf("k%d", i))
		e.publish(ev, ev.ID.String())
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM effects`) == 10 }, "first 10")
	cancel1()
	<-done
	for i := range 5 {
		ev := newEvent(t, fmt.Sprintf("late%d", i))
		e.publish(ev, ev.ID.String())
	}
	e.run(cfg, effect)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(`SELECT count(*) FROM effects`) == 15 }, "all 15")
	if got := e.count(`SELECT count(*) FROM (SELECT event_id FROM effects GROUP BY event_id HAVING count(*) > 1) d`); got != 0 {
		t.Fatalf("%d events had more than one effect", got)
	}
}

// A delivery that dies with the consumer (crash, stop) is not a failure of the handler:
// it does not count toward MaxDeliver, and the next delivery applies the event once.
func TestConsumerDeliveryThatDiedWithTheConsumerDoesNotCount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := messaging.ConsumerConfig{Name: "crashy", MaxDeliver: 2, Backoff: []time.Duration{10 * time.Millisecond},
		AckWait: time.Second}
	var calls atomic.Int32
	entered := make(chan struct{}, 1)
	h := func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		if calls.Add(1) == 1 {
			return errors.New("first delivery fails")
		}
		entered <- struct{}{}
		<-ctx.Done() // the second delivery hangs until the consumer dies
		return ctx.Err()
	}
	c1, err := messaging.NewConsumer(e.pool, e.js, cfg, h, testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c1.Run(ctx1); close(done) }()
	ev := newEvent(t, "crashy")
	e.publish(ev, ev.ID.String())
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the second delivery never reached the handler")
	}
	cancel1() // the consumer dies during its second delivery
	<-done
	e.run(cfg, func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		calls.Add(1)
		return effect(ctx, tx, ev)
	})
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM effects WHERE event_id = $1`, ev.ID) == 1
	}, "applied on the delivery after the one that died")
	if got := e.count(`SELECT count(*) FROM consumer_dead_letter`); got != 0 {
		t.Fatalf("dead letters = %d: a delivery that died with the process counted as a failure", got)
	}
	if got := e.count(`SELECT count(*) FROM consumer_failure`); got != 0 {
		t.Fatalf("failure rows left behind after success: %d", got)
	}
}

// A handler that panics fails like one that returns an error (counted, then
// dead-lettered); the consumer keeps running.
func TestConsumerHandlerPanicIsAFailureNotACrash(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.run(messaging.ConsumerConfig{MaxDeliver: 2, Backoff: []time.Duration{10 * time.Millisecond}},
		func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
			var p touched
			_ = ev.Decode(&p)
			if p.Key == "panics" {
				panic("nil map")
			}
			return effect(ctx, tx, ev)
		})
	bad := newEvent(t, "panics")
	e.publish(bad, bad.ID.String())
	good := newEvent(t, "fine")
	e.publish(good, good.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM consumer_dead_letter WHERE event_id = $1 AND reason LIKE '%panicked%'
			AND cardinality(attempt_times) = 2`, bad.ID.String()) == 1 &&
			e.count(`SELECT count(*) FROM effects WHERE key = 'fine'`) == 1
	}, "panicking event dead-lettered after 2 attempts with both attempt times, the next one applied")
}
