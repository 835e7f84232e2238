package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// customer returns distinct, valid customer data for sequence number i of worker w.
func customer(w, i int) customerevents.Customer {
	return customerevents.Customer{
		Name:            fmt.Sprintf("Bench Customer %d-%d", w, i),
		Address:         fmt.Sprintf("Kerkstraat %d", i%500+1),
		PostalCode:      "1234 AB",
		City:            "Amsterdam",
		TelephoneNumber: "+31 6 12345678",
		EmailAddress:    fmt.Sprintf("customer-%d-%d@example.com", w, i),
	}
}

// registered returns a CustomerRegistered envelope, the kind of event (size, headers)
// the customers relay publishes.
func registered(b testing.TB, w, i int) events.Envelope {
	b.Helper()
	c := customer(w, i)
	c.CustomerID = uuid.NewString()
	env, err := events.New(customerevents.Source, customerevents.CustomerRegistered{Customer: c}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return env
}

// freshStream deletes the Pitstop stream (if any) and declares it again, empty.
func freshStream(b testing.TB, js jetstream.JetStream) jetstream.Stream {
	b.Helper()
	ctx := context.Background()
	if err := js.DeleteStream(ctx, messaging.StreamName); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		b.Fatal(err)
	}
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		b.Fatal(err)
	}
	s, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// streamMsgs returns how many messages the stream holds.
func streamMsgs(b testing.TB, s jetstream.Stream) uint64 {
	b.Helper()
	info, err := s.Info(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return info.State.Msgs
}

// pollUntil checks cond every millisecond (a ticker, not a spin) until it holds and
// returns the time it was first seen true; it fails b after timeout.
func pollUntil(b testing.TB, timeout time.Duration, cond func() bool, what string) time.Time {
	b.Helper()
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return time.Now()
		}
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-t.C
	}
}

// percentiles holds nearest-rank percentiles of a set of durations.
type percentiles struct {
	n                       int
	p50, p90, p99, p999, mx time.Duration
}

func percentilesOf(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		// Nearest rank: the smallest value with at least q of the samples at or below it.
		k := int(q*float64(len(s))+0.999999999) - 1
		return s[min(max(k, 0), len(s)-1)]
	}
	return percentiles{n: len(s), p50: at(.50), p90: at(.90), p99: at(.99), p999: at(.999), mx: s[len(s)-1]}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadavg returns the 1-minute load average (other work on the machine skews figures).
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// header prints the machine line every benchmark block starts with, and a warning
// when other processes already keep more than every core busy.
func header(name string) {
	load := loadavg()
	fmt.Printf("\n=== %s  (%s, GOMAXPROCS=%d, NumCPU=%d, %s, load average %s)\n",
		name, time.Now().Format("2006-01-02 15:04 MST"), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), load)
	if l, err := strconv.ParseFloat(load, 64); err == nil && l > float64(runtime.NumCPU()) {
		fmt.Printf("    NOTE: load average %.2f > %d cores before the start: other processes compete for the CPU and the disk; expect lower rates and longer tails\n",
			l, runtime.NumCPU())
	}
}

// prepareRelay builds a relay for cfg (its default configuration otherwise) and, for
// the log source, creates its publication and replication slot now (Relay.Prepare), so
// that everything committed from here on is in the slot's stream.
func prepareRelay(b testing.TB, pool *pgxpool.Pool, nc *nats.Conn, cfg outbox.RelayConfig) *outbox.Relay {
	b.Helper()
	r, err := outbox.NewRelay(pool, nc, cfg, testutil.Logger(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Prepare(context.Background()); err != nil {
		b.Fatalf("relay prepare (%s): %v", cfg.Source, err)
	}
	return r
}

// runRelay runs r in a goroutine; the returned stop cancels it and waits for Run to
// return (idempotent, and also registered as a cleanup of b).
func runRelay(b testing.TB, r *outbox.Relay) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-runErr; err != nil {
				b.Errorf("relay: %v", err)
			}
		})
	}
	b.Cleanup(stop)
	return stop
}

// awaitSource waits until r leads with src and, for the log source, its replication
// slot is being streamed (active): from then on writers skip pg_notify.
func awaitSource(b testing.TB, pool *pgxpool.Pool, r *outbox.Relay, schema string, src outbox.Source) {
	b.Helper()
	pollUntil(b, 60*time.Second, func() bool { return r.Source() == src }, "the relay to lead with the "+string(src)+" source")
	if src != outbox.SourceLog {
		return
	}
	slot := slotOf(b, pool, schema)
	pollUntil(b, 60*time.Second, func() bool {
		var active bool
		err := pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active)`,
			slot).Scan(&active)
		return err == nil && active
	}, "replication slot "+slot+" to be streamed")
}

// slotOf is the name of schema's replication slot in pool's database.
func slotOf(b testing.TB, pool *pgxpool.Pool, schema string) string {
	b.Helper()
	var db string
	if err := pool.QueryRow(context.Background(), `SELECT current_database()`).Scan(&db); err != nil {
		b.Fatal(err)
	}
	return outbox.SlotName(schema, db)
}

// dropSlot drops schema's replication slot once its relay has let go of it, so that it
// keeps no WAL for the rest of the benchmark (the test database's cleanup would drop it
// at the end anyway).
func dropSlot(b testing.TB, pool *pgxpool.Pool, schema string) {
	b.Helper()
	slot := slotOf(b, pool, schema)
	pollUntil(b, 30*time.Second, func() bool {
		var left bool
		_, _ = pool.Exec(context.Background(), `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
			WHERE slot_name = $1 AND NOT active`, slot)
		err := pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
			slot).Scan(&left)
		return err == nil && !left
	}, "replication slot "+slot+" to be dropped")
}

// leftInOutbox waits (up to 5 s) for the relay to empty the outbox after every event
// was acknowledged, and returns how many rows are left: each one a published event
// whose DELETE missed it (as the log source's did before 0dcfd6a, for rows of a
// transaction decoded from the log a moment before it was visible to other sessions).
func leftInOutbox(b testing.TB, pool *pgxpool.Pool) int {
	b.Helper()
	var n int
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond) // polling another goroutine's database work
	}
}

// leftLine prints how many of want published events are still in the outbox (after
// leftInOutbox), when any are.
func leftLine(left int, want int64) {
	if left > 0 {
		fmt.Printf("   WARNING: %d of %d published events still in the outbox 5 s after their PubAck (acknowledged, DELETE missed them)\n",
			left, want)
	}
}
