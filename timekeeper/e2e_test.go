package timekeeper_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/timekeeper"
)

// TestEndToEndDayHasPassedReachesJetStream runs the timekeeper, its scheduler and its
// outbox relay against an in-process JetStream: the start-up day, the midnight day and
// a day started through the API arrive on the PITSTOP stream as CloudEvents, in order,
// once each, with the outbox event ids.
func TestEndToEndDayHasPassedReachesJetStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testutil.StartNATS(t)
	nc, js := ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "", at(t, 2024, 5, 2, 23, 59, 0), nc, js)
	if res := h.Do(http.MethodGet, "/readyz", nil); res.Status != http.StatusOK {
		t.Errorf("/readyz: %d %s", res.Status, res.Body)
	}
	h.StartWorkers()
	r := h.clock.nextTimer(t)
	h.clock.fire(r) // midnight
	h.clock.nextTimer(t)
	if res := h.Do(http.MethodPost, "/api/time/days", nil); res.Status != http.StatusCreated {
		t.Fatalf("POST: %d %s", res.Status, res.Body)
	}
	stored := h.dayEvents()
	if len(stored) != 3 {
		t.Fatalf("outbox %+v, want 3 events", stored)
	}

	relay, err := outbox.NewRelay(h.Pool, nc, outbox.RelayConfig{Schema: timekeeper.Schema, PollInterval: 50 * time.Millisecond},
		testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(relayCtx) }()
	t.Cleanup(func() {
		stopRelay()
		if err := <-relayDone; err != nil {
			t.Errorf("relay: %v", err)
		}
	})

	cons, err := js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{timekeeperevents.SubjectDayHasPassed}})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	testutil.Eventually(t, 20*time.Second, func() bool {
		m, err := cons.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
		if err == nil {
			msgs = append(msgs, m)
		}
		return len(msgs) >= 3
	}, "three DayHasPassed events on the stream, got %d", len(msgs))

	wantDates := []string{"2024-05-02", "2024-05-03", "2024-05-04"}
	for i, m := range msgs {
		hd := m.Headers()
		id := hd.Get("ce-id")
		if _, err := uuid.Parse(id); err != nil || id != stored[i].eventID {
			t.Errorf("msg %d: ce-id %q, want the outbox event id %q (%v)", i, id, stored[i].eventID, err)
		}
		if got := hd.Get("Nats-Msg-Id"); got != id {
			t.Errorf("msg %d: Nats-Msg-Id %q, want ce-id %q", i, got, id)
		}
		checks := map[string]string{
			"ce-type":        timekeeperevents.SubjectDayHasPassed,
			"ce-source":      timekeeperevents.Source,
			"ce-subject":     wantDates[i],
			"ce-specversion": "1.0",
			"content-type":   "application/json",
		}
		for k, want := range checks {
			if got := hd.Get(k); got != want {
				t.Errorf("msg %d: header %s = %q, want %q", i, k, got, want)
			}
		}
		if m.Subject() != timekeeperevents.SubjectDayHasPassed {
			t.Errorf("msg %d: subject %q", i, m.Subject())
		}
		ceTime, err := time.Parse(time.RFC3339Nano, hd.Get("ce-time"))
		if err != nil || !ceTime.Equal(stored[i].occurredAt) {
			t.Errorf("msg %d: ce-time %q (%v), want %s", i, hd.Get("ce-time"), err, stored[i].occurredAt)
		}
		env, err := events.FromMsg(m.Subject(), hd, m.Data())
		if err != nil {
			t.Fatalf("msg %d: %v", i, err)
		}
		var body timekeeperevents.DayHasPassed
		if err := env.Decode(&body); err != nil {
			t.Fatal(err)
		}
		if body.Date != wantDates[i] {
			t.Errorf("msg %d: body %+v, want date %s", i, body, wantDates[i])
		}
	}
	if string(msgs[1].Data()) != `{"date":"2024-05-03"}` {
		t.Errorf("body %s, want {\"date\":\"2024-05-03\"}", msgs[1].Data())
	}

	// Relayed rows leave the outbox, and nothing else was published.
	testutil.Eventually(t, 10*time.Second, func() bool { return len(h.dayEvents()) == 0 }, "outbox drained")
	stream, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	si, err := stream.Info(ctx, jetstream.WithSubjectFilter(timekeeperevents.SubjectDayHasPassed))
	if err != nil {
		t.Fatal(err)
	}
	if n := si.State.Subjects[timekeeperevents.SubjectDayHasPassed]; n != 3 {
		t.Errorf("stream holds %d DayHasPassed events, want 3", n)
	}
	// The history keeps every started day after the outbox is drained.
	if n := h.startedDays(); n != 3 {
		t.Errorf("started_days has %d rows, want 3", n)
	}
}
