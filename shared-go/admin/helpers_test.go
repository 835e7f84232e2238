package admin_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// The test's contexts: shop publishes (an outbox and its relay), books publishes and
// consumes (like invoicing), ledger only consumes and has no outbox.
const (
	shop   = "shop"
	books  = "books"
	ledger = "ledger"
)

type env struct {
	t     *testing.T
	db    string
	pools map[string]*pgxpool.Pool // search_path = the context
	// any is a pool with the default search_path: Admin must not depend on it.
	any *pgxpool.Pool
	ns  *testutil.NATSServer
	nc  *nats.Conn
	js  jetstream.JetStream
	adm *admin.Admin
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, db: testutil.Database(t), pools: map[string]*pgxpool.Pool{}}
	for _, s := range []string{shop, books, ledger} {
		e.pools[s] = testutil.Pool(t, e.db, s)
	}
	for _, s := range []string{shop, books} {
		if err := outbox.Migrate(ctx, e.pools[s], s); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{books, ledger} {
		if err := messaging.Migrate(ctx, e.pools[s], s); err != nil {
			t.Fatal(err)
		}
		if _, err := e.pools[s].Exec(ctx, `CREATE TABLE effects (n bigint GENERATED ALWAYS AS IDENTITY, consumer text,
			event_id uuid, aggregate text, seq bigint)`); err != nil {
			t.Fatal(err)
		}
	}
	anyPool, err := pgxpool.New(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(anyPool.Close)
	e.any = anyPool
	e.ns = testutil.StartNATS(t)
	e.nc, e.js = e.ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, e.js); err != nil {
		t.Fatal(err)
	}
	e.adm = admin.New(anyPool, e.js, admin.Options{Log: testutil.Logger(t)})
	return e
}

type item struct {
	Agg string `json:"agg"`
	N   int    `json:"n"`
}

func (i item) EventType() string    { return "pitstop.shop.ItemChanged" }
func (i item) EventSubject() string { return i.Agg }

// write commits n events of aggregate agg in shop's outbox (seq assigned by the
// writer) and returns their envelopes with their seq.
func (e *env) write(schema, agg string, n int) []events.Envelope {
	e.t.Helper()
	var evs []events.Envelope
	for i := range n {
		ev, err := events.New("pitstop/"+schema, item{Agg: agg, N: i}, time.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		ev.Type = "pitstop." + schema + ".ItemChanged"
		evs = append(evs, ev)
	}
	err := postgres.WithTx(context.Background(), e.pools[schema], func(tx pgx.Tx) error {
		return outbox.NewWriter(schema).Add(context.Background(), tx, evs...)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var last int64
	if err := e.pools[schema].QueryRow(context.Background(), `SELECT seq FROM outbox_sequence WHERE subject = $1`, agg).Scan(&last); err != nil {
		e.t.Fatal(err)
	}
	for i := range evs {
		evs[i].Seq = last - int64(n-1-i)
	}
	return evs
}

// refusing is a relay BeforePublish hook refusing the listed event ids (a counted
// failure: with MaxAttempts 1 the row is dead-lettered at once).
type refusing struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (r *refusing) refuse(ids ...uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	for _, id := range ids {
		r.ids[id.String()] = true
	}
}

func (r *refusing) hook(m *nats.Msg) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids[m.Header.Get(events.HeaderID)] {
		return errors.New("refused by the test broker")
	}
	return nil
}

// relay runs schema's relay until the returned stop is called (or the test ends).
func (e *env) relay(schema string, before func(*nats.Msg) error) (r *outbox.Relay, stop func()) {
	e.t.Helper()
	r, err := outbox.NewRelay(e.pools[schema], e.nc, outbox.RelayConfig{Schema: schema, MaxAttempts: 1,
		PollInterval: 50 * time.Millisecond, ElectionInterval: 50 * time.Millisecond, BeforePublish: before},
		testutil.Logger(e.t), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("relay: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return r, stop
}

// consumer runs a durable consumer in schema with handler h, recording each applied
// event in effects; it returns its metrics registry.
func (e *env) consumer(schema, name string, maxDeliver int, h messaging.Handler) *prometheus.Registry {
	e.t.Helper()
	reg := prometheus.NewRegistry()
	cfg := messaging.ConsumerConfig{Name: name, MaxDeliver: maxDeliver, FilterSubjects: []string{"pitstop.>"},
		Backoff: []time.Duration{10 * time.Millisecond}, MaxWait: 100 * time.Millisecond,
		OnHandled: func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
			_, err := tx.Exec(ctx, `INSERT INTO effects (consumer, event_id, aggregate, seq) VALUES ($1, $2, $3, $4)`,
				name, ev.ID, ev.Subject, ev.Seq)
			return err
		}}
	if h == nil {
		h = func(context.Context, pgx.Tx, events.Envelope) error { return nil }
	}
	c, err := messaging.NewConsumer(e.pools[schema], e.js, cfg, h, testutil.Logger(e.t), reg)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return reg
}

// publish puts ev on the stream as the relay would.
func (e *env) publish(ev events.Envelope) {
	e.t.Helper()
	if _, err := e.js.PublishMsg(context.Background(), ev.Msg()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) count(schema, q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pools[schema].QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// streamed is one message of the stream.
type streamed struct {
	typ, eventID, subject string
	seq                   int64
	header                nats.Header
}

// stream returns every message on the stream in stream order.
func (e *env) stream() []streamed {
	e.t.Helper()
	ctx := context.Background()
	s, err := e.js.Stream(ctx, messaging.StreamName)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []streamed
	for n := info.State.FirstSeq; n <= info.State.LastSeq && info.State.Msgs > 0; n++ {
		m, err := s.GetMsg(ctx, n)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		seq, _ := strconv.ParseInt(m.Header.Get(events.HeaderSeq), 10, 64)
		out = append(out, streamed{typ: m.Subject, eventID: m.Header.Get(events.HeaderID),
			subject: m.Header.Get(events.HeaderSubject), seq: seq, header: m.Header})
	}
	return out
}

// of returns the stream messages of aggregate agg.
func of(msgs []streamed, agg string) []streamed {
	var out []streamed
	for _, m := range msgs {
		if m.subject == agg {
			out = append(out, m)
		}
	}
	return out
}

func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// only returns the single dead letter f selects.
func (e *env) only(f admin.Filter) admin.DeadLetter {
	e.t.Helper()
	dls, err := e.adm.List(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(dls) != 1 {
		e.t.Fatalf("%d dead letters for %+v, want 1: %+v", len(dls), f, dls)
	}
	return dls[0]
}

func mustID(t *testing.T, s string) admin.ID {
	t.Helper()
	id, err := admin.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func seqs(msgs []streamed) string {
	out := ""
	for _, m := range msgs {
		out += fmt.Sprintf("%s#%d ", m.typ, m.seq)
	}
	return out
}
