package workshop_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/workshop"
)

// TestPlanningEventsReachJetStreamWithTheStoredIDs runs the workshop's real relay (as
// cmd/cdc does) and checks that planning a job publishes the stored events in order,
// each with the ce-id it has in the event store.
func TestPlanningEventsReachJetStreamWithTheStoredIDs(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{nats: true})
	ctx, cancel := context.WithCancel(context.Background())
	relay, err := outbox.NewRelay(e.Pool, e.NC, outbox.RelayConfig{Schema: workshop.Schema, PollInterval: 50 * time.Millisecond},
		testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = relay.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt("job-1", "AB-123-C", "08:00", "10:00")); r.Status != http.StatusCreated {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	if r := e.Do("PUT", "/api/workshopplanning/"+day+"/jobs/job-1/finish", map[string]string{
		"actualStartTime": day + "T08:00:00+02:00", "actualEndTime": day + "T09:00:00+02:00"}); r.Status != http.StatusOK {
		t.Fatalf("finish: %d %s", r.Status, r.Body)
	}
	rows, err := e.Pool.Query(ctx, `SELECT event_id::text, event_type FROM events ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	var want [][2]string
	for rows.Next() {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			t.Fatal(err)
		}
		want = append(want, [2]string{id, typ})
	}
	rows.Close()

	cons, err := e.JS.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{workshopevents.SubjectAll}})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	testutil.Eventually(t, 10*time.Second, func() bool {
		batch, err := cons.Fetch(len(want)-len(got), jetstream.FetchMaxWait(100*time.Millisecond))
		if err != nil {
			return false
		}
		for m := range batch.Messages() {
			env, err := events.FromMsg(m.Subject(), m.Headers(), m.Data())
			if err != nil {
				t.Fatalf("published message: %v", err)
			}
			if env.Subject != day || env.Source != workshopevents.Source {
				t.Fatalf("subject %q source %q", env.Subject, env.Source)
			}
			got = append(got, [2]string{env.ID.String(), env.Type})
		}
		return len(got) >= len(want)
	}, "the %d stored events on JetStream", len(want))
	if len(want) != 3 || len(got) != len(want) {
		t.Fatalf("stored %v, published %v", want, got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d: published %v, stored %v", i+1, got[i], want[i])
		}
	}
}
