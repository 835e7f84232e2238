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
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
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
// concurrent clients and, in the same run, the raw Postgres rate of the same
// transaction (INSERT customer + INSERT outbox row + pg_notify) from 32 goroutines
// in a plain pgx loop, and reports their ratio. The phases alternate in commandRounds
// slices so that both see the same background load. The work runs once whatever b.N
// is (use -benchtime 1x).
func BenchmarkRegisterCustomer(b *testing.B) {
	header("BenchmarkRegisterCustomer")
	ctx := context.Background()
	ns := testutil.StartNATS(b)
	nc, js := ns.Connect(b)

	// The customers module behind its real HTTP handler, on a fresh database.
	pool := testutil.Pool(b, testutil.Database(b), customers.Schema)
	deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(b), Registry: prometheus.NewRegistry()}
	module, err := customers.New(ctx, deps)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler("customers", deps, 64<<10, module))
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
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

	// The same transaction from a plain pgx loop on identical tables (another fresh
	// database migrated by customers.New) through a pool of the same size.
	channel := outbox.Channel(customers.Schema)
	rawPool := testutil.Pool(b, testutil.Database(b), customers.Schema)
	if _, err := customers.New(ctx, app.Deps{Pool: rawPool, Log: testutil.Logger(b), Registry: prometheus.NewRegistry()}); err != nil {
		b.Fatal(err)
	}
	rawLoad := &loader{op: func(w, i int) error { return rawRegister(ctx, rawPool, channel, w, i) }}

	// The same loop with one connection per goroutine (as pgbench -c 32 would), on a
	// third fresh database: does a bigger pool raise Postgres's rate on this machine?
	wideURL := testutil.Database(b)
	migratePool := testutil.Pool(b, wideURL, customers.Schema)
	if _, err := customers.New(ctx, app.Deps{Pool: migratePool, Log: testutil.Logger(b), Registry: prometheus.NewRegistry()}); err != nil {
		b.Fatal(err)
	}
	migratePool.Close()
	cfg, err := postgres.ParseConfig(wideURL, customers.Schema)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns, cfg.MinConns = clients, clients
	widePool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(widePool.Close)
	wideLoad := &loader{op: func(w, i int) error { return rawRegister(ctx, widePool, channel, w, i) }}

	loads := []*loader{httpLoad, rawLoad, wideLoad}
	for _, l := range loads {
		l.run(b, 0, true)
	}
	for range commandRounds {
		for _, l := range loads {
			l.run(b, commandFor/commandRounds, false)
		}
	}
	var sent, stored int
	for _, n := range httpLoad.next {
		sent += n
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&stored); err != nil || stored != sent {
		b.Fatalf("http: %d outbox rows (%v), want one per request (%d)", stored, err, sent)
	}

	httpRes, rawRes, wideRes := httpLoad.result(), rawLoad.result(), wideLoad.result()
	ratio := httpRes.rate / rawRes.rate
	line := func(what string, r loadResult, unit string) {
		fmt.Printf("%-58s %6d %-4s %7.0f %s/s   ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  max %7.2f\n",
			what, r.count, unit, r.rate, unit, ms(r.lat.p50), ms(r.lat.p90), ms(r.lat.p99), ms(r.lat.mx))
	}
	fmt.Printf("%d concurrent clients, %s per phase in %d alternating slices; pool of the service: %d connections\n",
		clients, commandFor, commandRounds, pool.Config().MaxConns)
	line("HTTP POST /api/customers (customers module, 201s)", httpRes, "req")
	line(fmt.Sprintf("raw pgx tx: customer + outbox + notify, %d conns", rawPool.Config().MaxConns), rawRes, "tx")
	line(fmt.Sprintf("raw pgx tx: customer + outbox + notify, %d conns", clients), wideRes, "tx")
	fmt.Printf("HTTP / raw throughput (same pool size): %.2f;  HTTP / raw with %d connections: %.2f\n",
		ratio, clients, httpRes.rate/wideRes.rate)
	fmt.Printf("load average at end: %s\n", loadavg())

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(httpRes.rate, "http_req/s")
	b.ReportMetric(ms(httpRes.lat.p50), "http_p50_ms")
	b.ReportMetric(ms(httpRes.lat.p99), "http_p99_ms")
	b.ReportMetric(rawRes.rate, "raw_tx/s")
	b.ReportMetric(ms(rawRes.lat.p50), "raw_p50_ms")
	b.ReportMetric(ms(rawRes.lat.p99), "raw_p99_ms")
	b.ReportMetric(ratio, "http/raw")
	b.ReportMetric(wideRes.rate, "raw32_tx/s")
}

// rawRegister is the customers repository's transaction written as plain pgx, with
// the same round trips: INSERT customer; INSERT outbox row + pg_notify (one batch);
// COMMIT.
func rawRegister(ctx context.Context, pool *pgxpool.Pool, channel string, w, i int) error {
	c := customer(w, i)
	id := uuid.New()
	c.CustomerID = id.String()
	ev, err := events.New(customerevents.Source, customerevents.CustomerRegistered{Customer: c}, time.Now())
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `INSERT INTO customers (customer_id, name, address, postal_code, city, telephone_number, email_address)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, c.Name, c.Address, c.PostalCode, c.City, c.TelephoneNumber, c.EmailAddress); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO outbox (event_id, event_type, source, subject, occurred_at, payload)
		VALUES ($1, $2, $3, $4, $5, $6)`, ev.ID, ev.Type, ev.Source, ev.Subject, ev.Time, []byte(ev.Data))
	batch.Queue(`SELECT pg_notify($1, '')`, channel)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
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

// result is the loader's figures over all its measured slices.
func (l *loader) result() loadResult {
	return loadResult{count: len(l.lats), rate: float64(len(l.lats)) / l.elapsed.Seconds(), lat: percentilesOf(l.lats)}
}

type loadResult struct {
	count int
	rate  float64
	lat   percentiles
}
