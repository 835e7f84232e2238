package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const (
	// e2eRegistrations are measured; e2eWarmup registrations before them are not
	// (they let the workshop's durable consumer, the relay's leadership and the HTTP
	// connections settle).
	e2eRegistrations = 500
	e2eWarmup        = 20
	// e2eMinGap and e2eMaxGap bound the (uniformly random) gap between two
	// registrations: a paced trickle, not a flood, and not in step with any timer.
	e2eMinGap = 10 * time.Millisecond
	e2eMaxGap = 20 * time.Millisecond
	// e2ePoll is the gap between two GETs of one registration's poller.
	e2ePoll = time.Millisecond
	// e2eDeadline is how long a registration may take to become visible.
	e2eDeadline = 10 * time.Second
	// e2eTarget is the latency whose share the benchmark reports (well below the
	// relays' 500 ms poll interval: only the log source or the LISTEN/NOTIFY wake-up
	// gets there).
	e2eTarget = 50 * time.Millisecond
)

// BenchmarkEndToEnd measures, on the whole system in one process (system.Start, every
// context and relay, default relay poll interval of 500 ms, in-process JetStream), the
// time from POST /api/customers to the customer's first 200 from the workshop's
// GET /api/refdata/customers/{id}: the customers service's transaction, the customers
// relay woken by NOTIFY, JetStream, the workshop's refdata consumer and its
// transaction. 500 registrations at one every 10-20 ms; each one's GET is polled every
// millisecond by its own goroutine. The work runs once whatever b.N is (use
// -benchtime 1x).
func BenchmarkEndToEnd(b *testing.B) {
	header("BenchmarkEndToEnd")
	ctx := context.Background()
	sys, err := system.Start(ctx, system.Options{DatabaseURL: testutil.Database(b), DataDir: b.TempDir(),
		FreePorts: true, Logger: testutil.Logger(b), SigningKey: testutil.SigningKey()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			b.Errorf("system stop: %v", err)
		}
	})
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: testutil.TokenTransport{Base: tr, Token: testutil.Token(b, auth.Administrator)},
		Timeout: 10 * time.Second}
	customersURL, workshopURL := sys.URL("customers"), sys.URL("workshop")

	// Ready: both services answer /readyz and the customers relay holds the leadership
	// with its source chosen (only the leader tails the log or listens for NOTIFY).
	for _, name := range []string{"customers", "workshop", "customers-cdc"} {
		pollUntil(b, 30*time.Second, func() bool { return get(client, sys.URL(name)+"/readyz") == http.StatusOK }, name+" /readyz")
	}
	pollUntil(b, 30*time.Second, func() bool {
		res, err := client.Get(sys.URL("customers-cdc") + "/leader")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var v struct{ Leader bool }
		return json.NewDecoder(res.Body).Decode(&v) == nil && v.Leader
	}, "customers relay leadership")
	var source string
	pollUntil(b, 60*time.Second, func() bool {
		source = relaySource(client, sys.URL("customers-cdc")+"/metrics")
		return source != ""
	}, "customers relay source")

	run := func(w, i int) e2eSample {
		c := customer(w, i)
		c.CustomerID = uuid.NewString()
		body, err := json.Marshal(c)
		if err != nil {
			return e2eSample{err: err}
		}
		var s e2eSample
		s.start = time.Now()
		res, err := client.Post(customersURL+"/api/customers", "application/json", bytes.NewReader(body))
		if err != nil {
			return e2eSample{err: err}
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return e2eSample{err: fmt.Errorf("POST /api/customers: status %d: %s", res.StatusCode, data)}
		}
		s.created = time.Now()
		url := workshopURL + "/api/refdata/customers/" + c.CustomerID
		tick := time.NewTicker(e2ePoll)
		defer tick.Stop()
		deadline := s.start.Add(e2eDeadline)
		for {
			s.gets++
			switch code := get(client, url); code {
			case http.StatusOK:
				s.visible = time.Now()
				return s
			case http.StatusNotFound:
			default:
				return e2eSample{err: fmt.Errorf("GET %s: status %d", url, code)}
			}
			if time.Now().After(deadline) {
				s.err = fmt.Errorf("customer %s not visible in the workshop after %s", c.CustomerID, e2eDeadline)
				return s
			}
			<-tick.C
		}
	}

	// Warm-up, one at a time: the first waits for the workshop's consumer to exist.
	for i := range e2eWarmup {
		if s := run(0, i); s.err != nil {
			b.Fatalf("warm-up: %v", s.err)
		}
	}

	// Measured: registrations started on a schedule with random 10-20 ms gaps (a late
	// scheduler catches up rather than dropping registrations), each in its own
	// goroutine so that a slow one does not delay the next.
	samples := make([]e2eSample, e2eRegistrations)
	rng := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	begin := time.Now()
	next := begin
	for i := range samples {
		if d := time.Until(next); d > 0 {
			time.Sleep(d) // pacing the load, not synchronisation
		}
		lag := time.Since(next)
		wg.Go(func() {
			s := run(1, i)
			s.lag = lag
			samples[i] = s
		})
		next = next.Add(e2eMinGap + time.Duration(rng.Int64N(int64(e2eMaxGap-e2eMinGap))))
	}
	wg.Wait()
	offered := time.Since(begin)

	var total, post, after, lag []time.Duration
	var failures []error
	gets, fast := 0, 0
	for _, s := range samples {
		if s.err != nil {
			failures = append(failures, s.err)
			continue
		}
		d := s.visible.Sub(s.start)
		total = append(total, d)
		post = append(post, s.created.Sub(s.start))
		after = append(after, s.visible.Sub(s.created))
		lag = append(lag, s.lag)
		gets += s.gets
		if d < e2eTarget {
			fast++
		}
	}
	tp, pp, ap, lp := percentilesOf(total), percentilesOf(post), percentilesOf(after), percentilesOf(lag)
	share := float64(fast) / float64(len(samples)) // a registration never seen counts as slow
	line := func(what string, p percentiles) {
		fmt.Printf("   %-34s ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  max %7.2f\n", what, ms(p.p50), ms(p.p90), ms(p.p99), ms(p.mx))
	}
	path := "tails the write-ahead log (log source, ADR 0006)"
	if source == "poll" {
		path = "polls the table, woken by LISTEN/NOTIFY"
	}
	fmt.Printf("whole system in one process (system.Start), relays' default configuration (auto source, 500ms poll interval): the customers relay %s\n", path)
	fmt.Printf("%d registrations (after %d warm-up), one every %s-%s (%.0f/s over %.1fs); each polled every %s (%.1f GETs on average)\n",
		len(samples), e2eWarmup, e2eMinGap, e2eMaxGap, float64(len(samples))/offered.Seconds(), offered.Seconds(), e2ePoll,
		float64(gets)/float64(max(len(total), 1)))
	line("POST -> visible in workshop", tp)
	line("of which POST /api/customers (201)", pp)
	line("201 -> first GET 200 (refdata)", ap)
	line("registration start lag", lp)
	fmt.Printf("   visible within %s: %d of %d = %.3f;  not visible within %s: %d\n",
		e2eTarget, fast, len(samples), share, e2eDeadline, len(failures))
	fmt.Printf("   load average at end: %s\n", loadavg())
	for i, err := range failures {
		if i == 5 {
			b.Errorf("... and %d more", len(failures)-i)
			break
		}
		b.Error(err)
	}

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(tp.p50), "e2e_p50_ms")
	b.ReportMetric(ms(tp.p90), "e2e_p90_ms")
	b.ReportMetric(ms(tp.p99), "e2e_p99_ms")
	b.ReportMetric(ms(tp.mx), "e2e_max_ms")
	b.ReportMetric(share, "under_50ms")
	b.ReportMetric(ms(pp.p99), "post_p99_ms")
	b.ReportMetric(ms(ap.p99), "after_201_p99_ms")
}

// e2eSample is one registration's timeline.
type e2eSample struct {
	start, created, visible time.Time
	lag                     time.Duration // start after its scheduled time
	gets                    int
	err                     error
}

// get returns the status of GET url (0 when the request fails), reading the body so
// the connection is reused.
func get(client *http.Client, url string) int {
	res, err := client.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
