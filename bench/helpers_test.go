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
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
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
