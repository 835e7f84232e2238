package auditlog_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestConsumerIsDurableAcrossRestarts stops the service, publishes while it is down
// and starts it again (migrating the same schema a second time): the events published
// meanwhile are recorded, and the ones recorded before are neither lost nor
// redelivered. It also checks the JetStream consumer's declaration.
func TestConsumerIsDurableAcrossRestarts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nc, js := testutil.StartNATS(t).Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	pool := testutil.Pool(t, testutil.Database(t), auditlog.Schema)
	count := func(q string) int {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	publish := func(ev events.Envelope) {
		if _, err := js.PublishMsg(ctx, ev.Msg()); err != nil {
			t.Fatal(err)
		}
	}
	// start runs one instance of the service; stop ends it and waits for its workers.
	start := func() (reg *prometheus.Registry, stop func()) {
		reg = prometheus.NewRegistry()
		deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(t), Registry: reg}
		m, err := auditlog.New(ctx, deps)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(app.Handler("auditlog", deps, servicetest.MaxBody, m))
		res, err := openapitest.Client(t, "auditlog").Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("/readyz: %d", res.StatusCode)
		}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, len(m.Workers()))
		for _, w := range m.Workers() {
			go func() { done <- w(wctx) }()
		}
		stopped := false
		stop = func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			for range m.Workers() {
				if err := <-done; err != nil {
					t.Errorf("worker: %v", err)
				}
			}
			srv.Close()
		}
		t.Cleanup(stop)
		return reg, stop
	}

	_, stop := start()
	before := customerRegistered(t, "Before")
	publish(before)
	testutil.Eventually(t, wait, func() bool { return count(`SELECT count(*) FROM audit_entries`) == 1 },
		"the first event was never recorded")
	stop()

	during := []events.Envelope{customerRegistered(t, "During 1"), customerRegistered(t, "During 2")}
	for _, ev := range during {
		publish(ev)
	}
	reg, _ := start()
	testutil.Eventually(t, wait, func() bool { return count(`SELECT count(*) FROM audit_entries`) == 3 },
		"the events published while the service was down were never recorded")

	rows, err := pool.Query(ctx, `SELECT event_id::text FROM audit_entries ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := envIDs(append([]events.Envelope{before}, during...)...); !reflect.DeepEqual(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "pitstop_consumer_duplicates_total" && mf.GetMetric()[0].GetCounter().GetValue() != 0 {
			t.Error("the restarted consumer was redelivered an event that had been acknowledged")
		}
	}

	cons, err := js.Consumer(ctx, messaging.StreamName, "auditlog")
	if err != nil {
		t.Fatalf("durable consumer auditlog: %v", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subjects := info.Config.FilterSubjects
	if info.Config.FilterSubject != "" {
		subjects = append(subjects, info.Config.FilterSubject)
	}
	if !reflect.DeepEqual(subjects, []string{"pitstop.>"}) || info.Config.Durable != "auditlog" {
		t.Errorf("consumer config: durable %q, subjects %v", info.Config.Durable, subjects)
	}
}
