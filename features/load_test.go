package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// TestLoadRegistrationsSurviveRelayRestarts registers 10,000 customers over HTTP while
// the customers relay is stopped and restarted twice (once gracefully, once crashing
// between PubAck and delete) and checks that the audit log ends with exactly one
// CustomerRegistered per customer.
func TestLoadRegistrationsSurviveRelayRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const total = 10000
	ctx := context.Background()
	db := testutil.Database(t)
	ns := testutil.StartNATS(t)
	log := testutil.Logger(t)

	cpool := testutil.Pool(t, db, customers.Schema)
	cnc, cjs := ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, cjs); err != nil {
		t.Fatal(err)
	}
	cd := app.Deps{Pool: cpool, NC: cnc, JS: cjs, Log: log, Verifier: testutil.Verifier()}
	cm, err := customers.New(ctx, cd)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler("customers", cd, 64<<10, cm))
	t.Cleanup(srv.Close)

	apool := testutil.Pool(t, db, auditlog.Schema)
	anc, ajs := ns.Connect(t)
	ad := app.Deps{Pool: apool, NC: anc, JS: ajs, Log: log}
	am, err := auditlog.New(ctx, ad)
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithCancel(ctx)
	var workers sync.WaitGroup
	for _, w := range am.Workers() {
		workers.Go(func() { _ = w(actx) })
	}
	t.Cleanup(func() { acancel(); workers.Wait() })

	// The relay can be stopped, crashed and restarted while registrations go on.
	var relayStop func()
	startRelay := func(crash bool) {
		cfg := outbox.RelayConfig{Schema: customers.Schema, PollInterval: 100 * time.Millisecond}
		var crashed atomic.Bool
		if crash {
			cfg.BeforeDelete = func([]int64) error {
				if crashed.CompareAndSwap(false, true) {
					return errors.New("relay killed between PubAck and delete")
				}
				return nil
			}
		}
		r, err := outbox.NewRelay(cpool, cnc, cfg, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { _ = r.Run(rctx); close(done) }()
		relayStop = func() { cancel(); <-done }
	}
	startRelay(false)

	var registered, updated atomic.Int64
	var failures atomic.Int64
	jobs := make(chan int)
	var clients sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second, Transport: testutil.TokenTransport{Token: testutil.Token(t, auth.FrontDesk)}}
	for range 16 {
		clients.Go(func() {
			for i := range jobs {
				body, _ := json.Marshal(map[string]string{
					"name": fmt.Sprintf("Load Customer %05d", i), "address": "1 Load Street", "postalCode": "1000 AA",
					"city": "Loadville", "telephoneNumber": "+31 20 000 0000", "emailAddress": fmt.Sprintf("load%05d@example.com", i),
				})
				resp, err := client.Post(srv.URL+"/api/customers", "application/json", bytes.NewReader(body))
				if err != nil || resp.StatusCode != http.StatusCreated {
					failures.Add(1)
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				var created struct {
					CustomerID string `json:"customerId"`
				}
				err = json.NewDecoder(resp.Body).Decode(&created)
				resp.Body.Close()
				if err != nil {
					failures.Add(1)
					continue
				}
				registered.Add(1)
				if i%10 != 0 {
					continue
				}
				// Every tenth customer is updated twice right away: three events of one
				// aggregate in flight while the relay is stopped and crashed.
				for u := range 2 {
					body, _ := json.Marshal(map[string]string{
						"name": fmt.Sprintf("Load Customer %05d v%d", i, u+2), "address": "1 Load Street", "postalCode": "1000 AA",
						"city": "Loadville", "telephoneNumber": "+31 20 000 0000", "emailAddress": fmt.Sprintf("load%05d@example.com", i),
					})
					req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/customers/"+created.CustomerID, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil || resp.StatusCode != http.StatusOK {
						failures.Add(1)
						if resp != nil {
							resp.Body.Close()
						}
						continue
					}
					resp.Body.Close()
					updated.Add(1)
				}
			}
		})
	}
	for i := range total {
		switch i {
		case 2000: // graceful stop
			relayStop()
		case 4000:
			startRelay(false)
		case 6000: // a relay that dies after its first acknowledged batch
			relayStop()
			startRelay(true)
		case 8000:
			relayStop()
			startRelay(false)
		}
		jobs <- i
	}
	close(jobs)
	clients.Wait()
	t.Cleanup(relayStop)
	if failures.Load() != 0 || registered.Load() != total || updated.Load() != 2*total/10 {
		t.Fatalf("registered %d, updated %d, failed %d", registered.Load(), updated.Load(), failures.Load())
	}

	count := func() (n, distinct int) {
		if err := apool.QueryRow(ctx, `SELECT count(*), count(DISTINCT subject) FROM audit_entries
			WHERE type = 'pitstop.customers.CustomerRegistered'`).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		return n, distinct
	}
	testutil.Eventually(t, 120*time.Second, func() bool { n, _ := count(); return n >= total },
		"audit log reaches %d CustomerRegistered events", total)
	// Let any straggling duplicate arrive before the exact check: the outbox must be
	// empty and the consumer must have nothing pending.
	testutil.Eventually(t, 30*time.Second, func() bool {
		var rows int
		err := cpool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&rows)
		return err == nil && rows == 0
	}, "outbox drained")
	cons, err := ajs.Consumer(ctx, messaging.StreamName, "auditlog")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, "audit consumer caught up")
	n, distinct := count()
	if n != total || distinct != total {
		t.Fatalf("audit log holds %d CustomerRegistered events for %d customers, want exactly %d", n, distinct, total)
	}
	var updates, updateIDs int
	if err := apool.QueryRow(ctx, `SELECT count(*), count(DISTINCT event_id) FROM audit_entries
		WHERE type = 'pitstop.customers.CustomerUpdated'`).Scan(&updates, &updateIDs); err != nil {
		t.Fatal(err)
	}
	if updates != 2*total/10 || updateIDs != updates {
		t.Fatalf("audit log holds %d CustomerUpdated entries (%d event ids), want exactly %d", updates, updateIDs, 2*total/10)
	}
	// No duplicate reached the stream (the relay's crash re-published within the
	// duplicate window), and the audit consumer applied each customer's events once
	// each, in sequence order 1, 2, 3 (inbox.applied is its application order).
	stream, err := cjs.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter("pitstop.customers.>"))
	if err != nil {
		t.Fatal(err)
	}
	var inStream uint64
	for _, c := range info.State.Subjects {
		inStream += c
	}
	if want := uint64(total + 2*total/10); inStream != want {
		t.Fatalf("stream holds %d customers events, want exactly %d (duplicates or losses)", inStream, want)
	}
	var applied, misordered int
	if err := apool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE seq <> rn) FROM (
			SELECT seq, row_number() OVER (PARTITION BY aggregate ORDER BY applied) AS rn
			FROM inbox WHERE consumer = 'auditlog' AND aggregate LIKE 'customers/%') x`).Scan(&applied, &misordered); err != nil {
		t.Fatal(err)
	}
	if applied != total+2*total/10 || misordered != 0 {
		t.Fatalf("audit consumer applied %d customers events, %d out of sequence order (want %d, 0)", applied, misordered, total+2*total/10)
	}
}
