package admin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

func outboxOf(t *testing.T, st admin.Status, schema string) admin.OutboxStatus {
	t.Helper()
	for _, o := range st.Outboxes {
		if o.Context == schema {
			return o
		}
	}
	t.Fatalf("no outbox %s in %+v", schema, st.Outboxes)
	return admin.OutboxStatus{}
}

func consumerOf(t *testing.T, st admin.Status, name string) admin.ConsumerStatus {
	t.Helper()
	for _, c := range st.Consumers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no consumer %s in %+v", name, st.Consumers)
	return admin.ConsumerStatus{}
}

func (e *env) status() admin.Status {
	e.t.Helper()
	st, err := e.adm.Status(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func TestStatusReportsOutboxesRelayLeadersAndConsumers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	// garage's lock key hashes to a positive int4, shop's to a negative one: both halves
	// of the bigint key split must match.
	const garage = "garage"
	e.pools[garage] = testutil.Pool(t, e.db, garage)
	if err := outbox.Migrate(ctx, e.pools[garage], garage); err != nil {
		t.Fatal(err)
	}
	var garageKey, shopKey int32
	if err := e.any.QueryRow(ctx, `SELECT hashtext($1), hashtext($2)`, admin.RelayLockKey(garage), admin.RelayLockKey(shop)).
		Scan(&garageKey, &shopKey); err != nil || garageKey <= 0 || shopKey >= 0 {
		t.Fatalf("lock keys %d %d (%v): pick other schema names", garageKey, shopKey, err)
	}
	// An unrelated advisory lock held elsewhere is nobody's leadership.
	other, err := pgx.Connect(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock(hashtext('pitstop-outbox-relay-shops')), pg_advisory_lock(42)`); err != nil {
		t.Fatal(err)
	}

	e.write(shop, "a", 3)
	e.write(shop, "b", 2)
	if _, err := e.pools[shop].Exec(ctx, `INSERT INTO outbox_dead_letter (id, event_id, event_type, source, subject, seq,
			occurred_at, payload, created_at, attempts, error) VALUES
		(1000, gen_random_uuid(), 'pitstop.shop.ItemChanged', 'pitstop/shop', 'a', 0, now(), '{}', now(), 10, 'x'),
		(1001, gen_random_uuid(), 'pitstop.shop.ItemChanged', 'pitstop/shop', 'a', 0, now(), '{}', now(), 10, 'y')`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pools[books].Exec(ctx, `INSERT INTO consumer_dead_letter (consumer, event_id, event_type, subject, aggregate, seq,
			headers, data, deliveries, stream_seq, reason, resolution) VALUES
		('books', gen_random_uuid()::text, 't', 's', 'shop/a', 1, '{}', '{}', 1, 1, 'boom', NULL),
		('books', gen_random_uuid()::text, 't', 's', 'shop/b', 1, '{}', '{}', 1, 2, 'boom', 'requeue-pending'),
		('books', gen_random_uuid()::text, 't', 's', 'shop/b', 2, '{}', '{}', 1, 3, 'boom', NULL)`); err != nil {
		t.Fatal(err)
	}
	st := e.status()
	o := outboxOf(t, st, shop)
	if o.Depth != 5 || o.OldestAgeSeconds <= 0 || o.Leader != nil || o.DeadLetters != 2 || o.ParkedAggregates != 1 || o.HeldRows != 3 {
		t.Fatalf("shop before the relay: %+v", o)
	}
	if g := outboxOf(t, st, garage); g.Depth != 0 || g.OldestAgeSeconds != 0 || g.Leader != nil {
		t.Fatalf("garage: %+v", g)
	}
	if len(st.Outboxes) != 3 { // books, garage, shop
		t.Fatalf("outboxes: %+v", st.Outboxes)
	}
	c := consumerOf(t, st, "books")
	if c.Context != books || c.OnStream || c.DeadLetters != 3 || c.RequeuePending != 1 || c.ParkedAggregates != 2 {
		t.Fatalf("books before it exists on the stream: %+v", c)
	}

	relay, stopShop := e.relay(shop, nil)
	e.relay(garage, nil)
	testutil.Eventually(t, 10*time.Second, func() bool {
		st := e.status()
		return outboxOf(t, st, shop).Depth == 3 && outboxOf(t, st, shop).Leader != nil && outboxOf(t, st, garage).Leader != nil
	}, "b published, a held, both relays lead")
	if !relay.IsLeader() {
		t.Fatal("the shop relay does not think it leads")
	}
	l := outboxOf(t, e.status(), shop).Leader
	var app string
	if err := e.any.QueryRow(ctx, `SELECT application_name FROM pg_stat_activity WHERE pid = $1`, l.PID).Scan(&app); err != nil ||
		app != "pitstop-shop" || l.Application != app || l.Since == nil {
		t.Fatalf("leader %+v, session application %q (%v)", l, app, err)
	}
	if g := outboxOf(t, e.status(), garage).Leader; g == nil || g.PID == l.PID {
		t.Fatalf("garage's leader %+v is shop's %+v", g, l)
	}
	stopShop()
	testutil.Eventually(t, 10*time.Second, func() bool { return outboxOf(t, e.status(), shop).Leader == nil },
		"no shop leader once its relay stopped")
	if outboxOf(t, e.status(), garage).Leader == nil {
		t.Fatal("garage lost its leader with shop's")
	}

	// Consumers: a durable one with a backlog, and one only JetStream knows.
	if _, err := messaging.DeclareConsumer(ctx, e.js, "books", []string{"pitstop.>"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.DeclareConsumer(ctx, e.js, "stray", []string{"pitstop.shop.>"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	st = e.status()
	c = consumerOf(t, st, "books")
	if !c.OnStream || c.NumPending != 2 || c.NumAckPending != 0 || c.DeliverPolicy != "all" || c.DeadLetters != 3 {
		t.Fatalf("books: %+v", c)
	}
	if s := consumerOf(t, st, "stray"); !s.OnStream || s.Context != "" || s.NumPending != 2 {
		t.Fatalf("stray: %+v", s)
	}
	if st.Stream == nil || st.Stream.Messages != 2 || st.BrokerError != "" {
		t.Fatalf("stream: %+v %q", st.Stream, st.BrokerError)
	}
	// A service's view: its own outbox and consumers only.
	scoped, err := admin.New(e.any, e.js, admin.Options{Context: books}).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(scoped.Outboxes) != 1 || scoped.Outboxes[0].Context != books || len(scoped.Consumers) != 1 || scoped.Consumers[0].Name != "books" {
		t.Fatalf("scoped status: %+v", scoped)
	}
	// Without a broker the Postgres side is still there.
	noBroker, err := admin.New(e.any, nil, admin.Options{}).Status(ctx)
	if err != nil || noBroker.BrokerError == "" || len(noBroker.Outboxes) != 3 || consumerOf(t, noBroker, "books").DeadLetters != 3 {
		t.Fatalf("status without broker: %+v %v", noBroker, err)
	}
}

// Replay redelivers to one consumer only; its inbox drops every duplicate.
func TestReplayRedeliversToOneConsumerWhoseInboxDropsTheDuplicates(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	booksReg := e.consumer(books, "books", 3, nil)
	ledgerReg := e.consumer(ledger, "ledger", 3, nil)
	for _, ev := range aggregateEvents(t, "r", 5) {
		e.publish(ev)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return equal(e.applied(books, "books", "r"), 1, 2, 3, 4, 5) && equal(e.applied(ledger, "ledger", "r"), 1, 2, 3, 4, 5)
	}, "both consumers applied r")
	before, err := e.js.Consumer(ctx, messaging.StreamName, "books")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []admin.ReplayRequest{{Consumer: "books"}, {SinceSeq: 1},
		{Consumer: "books", SinceSeq: 1, Since: new(time.Now().Add(-time.Hour))},
		{Consumer: "books", Since: new(time.Now().Add(time.Hour))}} {
		if _, err := e.adm.Replay(ctx, bad); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("Replay(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := e.adm.Replay(ctx, admin.ReplayRequest{Consumer: "nobody", SinceSeq: 1}); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("replay of an unknown consumer: %v", err)
	}
	res, err := e.adm.Replay(ctx, admin.ReplayRequest{Consumer: "books", SinceSeq: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending != 4 || res.DeliverPolicy != "by_start_sequence" || res.StartSeq != 2 {
		t.Fatalf("replay result %+v", res)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		p, err := e.adm.Progress(ctx, "books")
		return err == nil && p.Remaining() == 0 && metric(t, booksReg, "pitstop_consumer_duplicates_total") == 4
	}, "books got seq 2..5 again and dropped them")
	after, err := e.js.Consumer(ctx, messaging.StreamName, "books")
	if err != nil {
		t.Fatal(err)
	}
	bc, ac := before.CachedInfo().Config, after.CachedInfo().Config
	if ac.AckWait != bc.AckWait || ac.AckPolicy != bc.AckPolicy || ac.MaxDeliver != bc.MaxDeliver ||
		ac.MaxAckPending != bc.MaxAckPending || len(ac.FilterSubjects) != len(bc.FilterSubjects) ||
		ac.DeliverPolicy != jetstream.DeliverByStartSequencePolicy || ac.OptStartSeq != 2 {
		t.Fatalf("config before %+v after %+v", bc, ac)
	}
	// By time, for the other consumer.
	if _, err := e.adm.Replay(ctx, admin.ReplayRequest{Consumer: "ledger", Since: new(time.Now().Add(-time.Hour))}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return metric(t, ledgerReg, "pitstop_consumer_duplicates_total") == 5
	}, "ledger got everything again")
	if got := metric(t, booksReg, "pitstop_consumer_duplicates_total"); got != 4 {
		t.Fatalf("books saw %v duplicates after ledger's replay, want still 4", got)
	}
	if !equal(e.applied(books, "books", "r"), 1, 2, 3, 4, 5) || !equal(e.applied(ledger, "ledger", "r"), 1, 2, 3, 4, 5) {
		t.Fatal("a replay changed the effects")
	}
	// New events still flow to the rewound consumers.
	e.publish(aggregateEvents(t, "r2", 1)[0])
	testutil.Eventually(t, 10*time.Second, func() bool {
		return equal(e.applied(books, "books", "r2"), 1) && equal(e.applied(ledger, "ledger", "r2"), 1)
	}, "a new event after the replay")
	// A service replays only its own consumers.
	scoped := admin.New(e.any, e.js, admin.Options{Context: books})
	if _, err := scoped.Replay(ctx, admin.ReplayRequest{Consumer: "ledger", SinceSeq: 1}); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("books' API replaying ledger: %v", err)
	}
}
