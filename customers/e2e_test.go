package customers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// TestEndToEndEventsReachJetStream runs the customers service and its outbox relay
// against an in-process JetStream and checks that registrations and updates arrive on
// the PITSTOP stream as CloudEvents, in order, exactly once.
func TestEndToEndEventsReachJetStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testutil.StartNATS(t)
	nc, js := ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nc, js)

	if res := h.Do(http.MethodGet, "/readyz", nil); res.Status != http.StatusOK {
		t.Errorf("/readyz: %d %s", res.Status, res.Body)
	}

	in := lisa()
	in.CustomerID = uuid.NewString()
	c := h.register(in)
	// A retry publishes nothing more.
	if res := h.Do(http.MethodPost, "/api/customers", in); res.Status != http.StatusOK {
		t.Fatalf("retry: %d", res.Status)
	}
	// The registration is committed before the relay starts (a backlog); the update
	// happens while it runs (woken by NOTIFY or its 50ms poll).
	rows := h.OutboxRows()
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1", len(rows))
	}
	registeredID := rows[0].EventID

	relay, err := outbox.NewRelay(h.Pool, nc, outbox.RelayConfig{Schema: customers.Schema, PollInterval: 50 * time.Millisecond},
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

	upd := lisa()
	upd.City = "Utrecht"
	if res := h.Do(http.MethodPut, "/api/customers/"+c.CustomerID, upd); res.Status != http.StatusOK {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}

	cons, err := js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{customerevents.SubjectAll}})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	testutil.Eventually(t, 20*time.Second, func() bool {
		m, err := cons.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
		if err == nil {
			msgs = append(msgs, m)
		}
		return len(msgs) >= 2
	}, "two customers events on the stream")

	wantTypes := []string{customerevents.SubjectCustomerRegistered, customerevents.SubjectCustomerUpdated}
	for i, m := range msgs {
		hd := m.Headers()
		id := hd.Get("ce-id")
		if _, err := uuid.Parse(id); err != nil {
			t.Errorf("msg %d: ce-id %q: %v", i, id, err)
		}
		if got := hd.Get("Nats-Msg-Id"); got != id {
			t.Errorf("msg %d: Nats-Msg-Id %q, want ce-id %q", i, got, id)
		}
		if i == 0 && id != registeredID {
			t.Errorf("msg 0: ce-id %q is not the outbox event id %q", id, registeredID)
		}
		if i == 1 && id == registeredID {
			t.Errorf("msg 1 re-uses the event id of msg 0")
		}
		checks := map[string]string{
			"ce-type":        wantTypes[i],
			"ce-source":      customerevents.Source,
			"ce-subject":     c.CustomerID,
			"ce-specversion": "1.0",
			"content-type":   "application/json",
		}
		for k, want := range checks {
			if got := hd.Get(k); got != want {
				t.Errorf("msg %d: header %s = %q, want %q", i, k, got, want)
			}
		}
		if m.Subject() != wantTypes[i] {
			t.Errorf("msg %d: subject %q, want %q", i, m.Subject(), wantTypes[i])
		}
		if _, err := time.Parse(time.RFC3339Nano, hd.Get("ce-time")); err != nil {
			t.Errorf("msg %d: ce-time %q: %v", i, hd.Get("ce-time"), err)
		}
		// The message decodes as a Pitstop envelope with the contract's body.
		env, err := events.FromMsg(m.Subject(), hd, m.Data())
		if err != nil {
			t.Fatalf("msg %d: %v", i, err)
		}
		var body customerevents.Customer
		if err := env.Decode(&body); err != nil {
			t.Fatal(err)
		}
		want := customerevents.Customer{CustomerID: c.CustomerID, Name: in.Name, Address: in.Address,
			PostalCode: in.PostalCode, City: in.City, TelephoneNumber: in.TelephoneNumber, EmailAddress: in.EmailAddress}
		if i == 1 {
			want.City = "Utrecht"
		}
		if !reflect.DeepEqual(body, want) {
			t.Errorf("msg %d: body %+v, want %+v", i, body, want)
		}
	}

	// Relayed rows leave the outbox, and nothing else was published.
	testutil.Eventually(t, 10*time.Second, func() bool { return h.stored().outbox == 0 }, "outbox drained")
	info, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	si, err := info.Info(ctx, jetstream.WithSubjectFilter(customerevents.SubjectAll))
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, n := range si.State.Subjects {
		total += n
	}
	if total != 2 {
		t.Errorf("stream holds %d customers events (%v), want 2", total, si.State.Subjects)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(msgs[0].Data(), &raw); err != nil || len(raw) != 7 {
		t.Errorf("registered body has fields %v (%v), want the 7 camelCase fields", raw, err)
	}
}
