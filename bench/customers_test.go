package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const (
	// clients is the number of concurrent HTTP clients (and raw Postgres goroutines).
	clients = 32
	// commandFor is the measured window of each phase; commandWarmup requests per
	// client run before it and are left out.
	commandFor    = 5 * time.Second
	commandWarmup = 10
	// commandRounds is how many alternating slices commandFor is cut into.
	commandRounds = 5
)

// BenchmarkRegisterCustomer measures POST /api/customers over real HTTP with 32
// concurrent clients, the customers service running with the log relay streaming its
// outbox (slot active, so the service's transactions skip pg_notify), and in the same
// run, from 32 goroutines in plain pgx loops through pools of the service's size: the
// same transaction WITHOUT any outbox (the customer insert only: the baseline of the
// outbox's cost), the same transaction with the outbox as the service writes it
// (outbox.Writer.Queue, slot streamed), and with the outbox and pg_notify (no relay
// streaming: what writers pay with the polling source). The phases alternate in
// commandRounds slices so that all see the same background load. The work runs once
// whatever b.N is (use -benchtime 1x).
func BenchmarkRegisterCustomer(b *testing.B) {
	header("BenchmarkRegisterCustomer")
	ctx := context.Background()
	ns := testutil.StartNATS(b)
	nc, js := ns.Connect(b)

	// The customers module behind its real HTTP handler, on a fresh database, and its
	// relay (log source) on a pool of its own, as cmd/cdc would run it.
	dbURL := testutil.Database(b)
	pool := testutil.Pool(b, dbURL, customers.Schema)
	deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(b), Registry: prometheus.NewRegistry(), Verifier: testutil.Verifier()}
	module, err := customers.New(ctx, deps)
	if err != nil {
		b.Fatal(err)
	}
	stream := freshStream(b, js)
	relayPool := testutil.Pool(b, dbURL, customers.Schema)
	var published atomic.Int64
	relay := prepareRelay(b, relayPool, nc, outbox.RelayConfig{Schema: customers.Schema, Source: outbox.SourceLog,
		OnAck: func(uuid.UUID, time.Time) { published.Add(1) }})
	stopRelay := runRelay(b, relay)
	awaitSource(b, relayPool, relay, customers.Schema, outbox.SourceLog)

	srv := httptest.NewServer(app.Handler("customers", deps, 64<<10, module))
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: testutil.TokenTransport{Base: tr, Token: testutil.Token(b, auth.FrontDesk)}, Timeout: 30 * time.Second}
	url := srv.URL + "/api/customers"
	httpLoad := &loader{op: func(w, i int) error {
		c := customer(w, i)
		c.CustomerID = uuid.NewString()
		body, err := json.Marshal(c)
		if err != nil {
			return err
		}
		res, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		data, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST /api/customers: status %d: %s", res.StatusCode, data)
		}
		return nil
	}}

	// The same transaction, with the outbox, from a plain pgx loop on the service's
	// database (the relay streams these events too) through a pool of the service's size.
	w := outbox.NewWriter(customers.Schema)
	outboxPool := testutil.Pool(b, dbURL, customers.Schema)
	outboxLoad := &loader{op: func(wk, i int) error { return rawRegister(ctx, outboxPool, w, wk, i) }}

	// Without any outbox: the customer insert alone, on identical tables (another
	// fresh database migrated by customers.New).
	plainPool := migratedPool(b)
	plainLoad := &loader{op: func(wk, i int) error { return rawRegister(ctx, plainPool, nil, wk, i) }}

	// With the outbox and pg_notify: a third database, where no relay streams a slot.
	notifyPool := migratedPool(b)
	notifyLoad := &loader{op: func(wk, i int) error { return rawRegister(ctx, notifyPool, w, wk, i) }}

	loads := []*loader{httpLoad, plainLoad, outboxLoad, notifyLoad}
	for _, l := range loads {
		l.run(b, 0, true)
	}
	for range commandRounds {
		for _, l := range loads {
			l.run(b, commandFor/commandRounds, false)
		}
	}

	// Every request and every outbox transaction on the service's database left one
	// event, and the relay published each one.
	want := int64(httpLoad.ops() + outboxLoad.ops())
	pollUntil(b, time.Minute, func() bool { return published.Load() >= want }, fmt.Sprintf("the relay to publish every event (%d)", want))
	left := leftInOutbox(b, pool)
	if got := relay.Source(); got != outbox.SourceLog {
		b.Fatalf("the relay led with source %q, want log", got)
	}
	stopRelay()
	var customersRows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&customersRows); err != nil {
		b.Fatal(err)
	}
	if got := streamMsgs(b, stream); customersRows != int(want) || got != uint64(want) {
		b.Fatalf("service database: %d customers, %d events in the stream; want %d of each", customersRows, got, want)
	}

	httpRes, plainRes, outboxRes, notifyRes := httpLoad.result(), plainLoad.result(), outboxLoad.result(), notifyLoad.result()
	ratio := httpRes.rate / plainRes.rate
	line := func(what string, r loadResult, unit string) {
		fmt.Printf("%-62s %6d %-4s %7.0f %s/s   ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  max %7.2f\n",
			what, r.count, unit, r.rate, unit, ms(r.lat.p50), ms(r.lat.p90), ms(r.lat.p99), ms(r.lat.mx))
	}
	conns := pool.Config().MaxConns
	fmt.Printf("%d concurrent clients, %s per phase in %d alternating slices; every pool (the service's too): %d connections\n",
		clients, commandFor, commandRounds, conns)
	line("HTTP POST /api/customers (201s), log relay streaming", httpRes, "req")
	line("raw pgx tx: customer only, no outbox (baseline)", plainRes, "tx")
	line("raw pgx tx: customer + outbox.Writer.Queue, slot streamed", outboxRes, "tx")
	line("raw pgx tx: customer + outbox.Writer.Queue + pg_notify, no relay", notifyRes, "tx")
	fmt.Printf("HTTP / no-outbox tx: %.2f   target >= %.1f: %s\n", ratio, commandTarget, verdict(ratio >= commandTarget))
	fmt.Printf("outbox tx / no-outbox tx: %.2f (slot streamed), %.2f (with pg_notify);  HTTP / outbox tx: %.2f;  events published by the relay: %d\n",
		outboxRes.rate/plainRes.rate, notifyRes.rate/plainRes.rate, httpRes.rate/outboxRes.rate, published.Load())
	leftLine(left, want)
	fmt.Printf("load average at end: %s\n", loadavg())

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(httpRes.rate, "http_req/s")
	b.ReportMetric(ms(httpRes.lat.p50), "http_p50_ms")
	b.ReportMetric(ms(httpRes.lat.p99), "http_p99_ms")
	b.ReportMetric(plainRes.rate, "plain_tx/s")
	b.ReportMetric(outboxRes.rate, "outbox_tx/s")
	b.ReportMetric(notifyRes.rate, "notify_tx/s")
	b.ReportMetric(ratio, "http/plain")
	b.ReportMetric(outboxRes.rate/plainRes.rate, "outbox/plain")
	b.ReportMetric(notifyRes.rate/plainRes.rate, "notify/plain")
	b.ReportMetric(float64(left), "left_in_outbox")
}

// commandTarget is the least share of the no-outbox transaction rate that
// POST /api/customers must deliver (ADR 0006).
const commandTarget = 0.8

// migratedPool is a pool of the default size on a fresh database migrated by
// customers.New (the customers tables and the outbox tables).
func migratedPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	p := testutil.Pool(b, testutil.Database(b), customers.Schema)
	if _, err := customers.New(context.Background(), app.Deps{Pool: p, Log: testutil.Logger(b), Registry: prometheus.NewRegistry()}); err != nil {
		b.Fatal(err)
	}
	return p
}

// rawRegister is the customers repository's transaction (CustomerPostgresRepository.Add)
// written as plain pgx, with the same round trip: one batch, which Postgres runs as one
// implicit transaction, holding the customer insert and, with w, the outbox statements
// as outbox.Writer.Queue appends them (the per-aggregate sequence and the outbox insert,
// and pg_notify unless the leading relay tails the log). Without w, the customer
// insert alone: the transaction without any outbox.
func rawRegister(ctx context.Context, pool *pgxpool.Pool, w *outbox.Writer, wk, i int) error {
	c := customer(wk, i)
	id := uuid.New()
	c.CustomerID = id.String()
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO customers (customer_id, name, address, postal_code, city, telephone_number, email_address)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, c.Name, c.Address, c.PostalCode, c.City, c.TelephoneNumber, c.EmailAddress)
	if w != nil {
		ev, err := events.New(customerevents.Source, customerevents.CustomerRegistered{Customer: c}, time.Now())
		if err != nil {
			return err
		}
		w.Queue(ctx, b, ev)
	}
	return pool.SendBatch(ctx, b).Close()
}

// loader drives one operation from clients goroutines in measured slices; w is the
// goroutine and i its sequence number (never repeated across slices).
type loader struct {
	op      func(w, i int) error
	next    [clients]int
	lats    []time.Duration
	elapsed time.Duration
}

// run drives the operation for d (or, when warmup, commandWarmup times per goroutine
// without measuring). Operations still in flight at the end of the slice complete and
// count; the slice lasts until the last completion.
func (l *loader) run(b *testing.B, d time.Duration, warmup bool) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr atomic.Value
		lastEnd  atomic.Int64
	)
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for n := 0; ; n++ {
				if warmup && n == commandWarmup || !warmup && time.Since(start) >= d {
					break
				}
				t0 := time.Now()
				err := l.op(w, l.next[w])
				l.next[w]++
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					break
				}
				end := time.Now()
				mine = append(mine, end.Sub(t0))
				for prev := lastEnd.Load(); prev < end.UnixNano() && !lastEnd.CompareAndSwap(prev, end.UnixNano()); {
					prev = lastEnd.Load()
				}
			}
			mu.Lock()
			if !warmup {
				l.lats = append(l.lats, mine...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	if !warmup {
		l.elapsed += time.Unix(0, lastEnd.Load()).Sub(start)
	}
}

// ops is how many operations the loader ran (warm-up included).
func (l *loader) ops() int {
	n := 0
	for _, k := range l.next {
		n += k
	}
	return n
}

// result is the loader's figures over all its measured slices.
func (l *loader) result() loadResult {
	return loadResult{count: len(l.lats), rate: float64(len(l.lats)) / l.elapsed.Seconds(), lat: percentilesOf(l.lats)}
}

type loadResult struct {
	count int
	rate  float64
	lat   percentiles
}
