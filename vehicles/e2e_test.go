package vehicles_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/vehicles"
)

// TestEndToEndEventsReachJetStream runs the vehicles service and its outbox relay
// against an in-process JetStream and checks that a registration and an update arrive
// on the PITSTOP stream as CloudEvents with the outbox's event ids, in order, exactly
// once, that retries and rejected requests publish nothing, and that a registration
// made while the relay runs is published as well.
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

	in := golf()
	in.LicenseNumber = "ab-123-c"
	v := h.register(in)
	// A retry, a conflicting registration and an invalid one publish nothing.
	if res := h.Do(http.MethodPost, "/api/vehicles", in); res.Status != http.StatusOK {
		t.Fatalf("retry: %d", res.Status)
	}
	if res := h.Do(http.MethodPost, "/api/vehicles", vehicleJSON{LicenseNumber: "AB-123-C", Brand: "Fiat", Type: "Panda",
		OwnerID: ownerLisa}); res.Status != http.StatusConflict {
		t.Fatalf("conflict: %d", res.Status)
	}
	if res := h.Do(http.MethodPost, "/api/vehicles", `{"licenseNumber":"AB_1_C"}`); res.Status != http.StatusBadRequest {
		t.Fatalf("invalid: %d", res.Status)
	}
	upd := vehicleJSON{Brand: "Volkswagen", Type: "Golf", OwnerID: ownerBram}
	if res := h.Do(http.MethodPut, "/api/vehicles/"+v.LicenseNumber, upd); res.Status != http.StatusOK {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	// The relay starts only now, so that the backlog's event ids can be read first
	// (a running relay may publish and delete a row before the test could look).
	outboxIDs := map[string]string{} // event type -> event id in the outbox
	rows := h.OutboxRows()
	for _, r := range rows {
		outboxIDs[r.EventType] = r.EventID
	}
	if len(rows) != 2 {
		t.Fatalf("outbox holds %d rows before relaying, want registered + updated", len(rows))
	}
	relay, err := outbox.NewRelay(h.Pool, nc, outbox.RelayConfig{Schema: vehicles.Schema, PollInterval: 50 * time.Millisecond},
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
		FilterSubjects: []string{vehicleevents.SubjectAll}})
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
	}, "two vehicles events on the stream")

	wantTypes := []string{vehicleevents.SubjectVehicleRegistered, vehicleevents.SubjectVehicleUpdated}
	wantBodies := []vehicleevents.Vehicle{
		{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerLisa},
		{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerBram},
	}
	for i, m := range msgs {
		hd := m.Headers()
		id := hd.Get("ce-id")
		if _, err := uuid.Parse(id); err != nil {
			t.Errorf("msg %d: ce-id %q: %v", i, id, err)
		}
		if got := hd.Get("Nats-Msg-Id"); got != id {
			t.Errorf("msg %d: Nats-Msg-Id %q, want ce-id %q", i, got, id)
		}
		if outboxIDs[wantTypes[i]] != id {
			t.Errorf("msg %d: ce-id %q is not the outbox event id %q", i, id, outboxIDs[wantTypes[i]])
		}
		checks := map[string]string{
			"ce-type":        wantTypes[i],
			"ce-source":      vehicleevents.Source,
			"ce-subject":     "AB-123-C",
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
		// The message decodes as a Pitstop envelope with the contract's camelCase body.
		env, err := events.FromMsg(m.Subject(), hd, m.Data())
		if err != nil {
			t.Fatalf("msg %d: %v", i, err)
		}
		var body vehicleevents.Vehicle
		if err := env.Decode(&body); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(body, wantBodies[i]) {
			t.Errorf("msg %d: body %+v, want %+v", i, body, wantBodies[i])
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(m.Data(), &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"licenseNumber", "brand", "type", "ownerId"} {
			if _, ok := raw[k]; !ok || len(raw) != 4 {
				t.Errorf("msg %d: body %s, want exactly the camelCase fields licenseNumber, brand, type, ownerId", i, m.Data())
				break
			}
		}
	}

	// With the relay running, a new registration is published promptly too.
	h.register(vehicleJSON{LicenseNumber: "xy-1-z", Brand: "Fiat", Type: "Panda", OwnerID: ownerBram})
	var live jetstream.Msg
	testutil.Eventually(t, 20*time.Second, func() bool {
		m, err := cons.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
		if err == nil {
			live = m
		}
		return live != nil
	}, "the live registration on the stream")
	if live.Subject() != vehicleevents.SubjectVehicleRegistered || live.Headers().Get("ce-subject") != "XY-1-Z" {
		t.Errorf("live message %s subject %q", live.Subject(), live.Headers().Get("ce-subject"))
	}

	// Relayed rows leave the outbox, and nothing else was published.
	testutil.Eventually(t, 10*time.Second, func() bool { return h.stored().outbox == 0 }, "outbox drained")
	stream, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	si, err := stream.Info(ctx, jetstream.WithSubjectFilter(vehicleevents.SubjectAll))
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, n := range si.State.Subjects {
		total += n
	}
	if total != 3 {
		t.Errorf("stream holds %d vehicles events (%v), want 3", total, si.State.Subjects)
	}
}
