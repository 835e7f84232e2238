package auditlog_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/invoicingevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestRecordsEveryEventWithItsEnvelope publishes events of several contexts to
// JetStream and checks that each appears once, in publication order, with its
// CloudEvents attributes and its body as published.
func TestRecordsEveryEventWithItsEnvelope(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	amsterdam := time.FixedZone("CEST", 2*60*60)
	planned := servicetest.Event(t, workshopevents.Source, workshopevents.MaintenanceJobPlanned{
		PlanningDate: "2024-05-01", JobID: uuid.NewString(),
		StartTime: "2024-05-01T08:00:00+02:00", EndTime: "2024-05-01T10:00:00+02:00", Description: "APK ✓ «keuring»",
		Customer: workshopevents.JobCustomer{CustomerID: uuid.NewString(), Name: "Lisa", TelephoneNumber: "0612345678"},
		Vehicle:  workshopevents.JobVehicle{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf"},
	}, time.Now())
	// ce-time in a non-UTC offset with nanoseconds must come back as published.
	planned.Time = time.Date(2024, 5, 1, 7, 59, 58, 123456789, amsterdam)

	evs := []events.Envelope{
		customerRegistered(t, "Lisa"),
		servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleRegistered{Vehicle: vehicleevents.Vehicle{
			LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: uuid.NewString()}}, time.Now()),
		planned,
		servicetest.Event(t, timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: "2024-05-02"}, time.Now()),
		servicetest.Event(t, invoicingevents.Source, invoicingevents.InvoiceCreated{InvoiceID: "2024-0001", InvoiceDate: "2024-05-02",
			CustomerID: uuid.NewString(), JobIDs: []string{uuid.NewString()},
			Amount: invoicingevents.Money{Currency: "EUR", Cents: 3700}}, time.Now()),
	}
	for _, ev := range evs {
		h.Publish(ev)
	}
	h.waitFor(evs...)

	for _, ev := range evs {
		e, ok := h.entry(ev.ID)
		if !ok {
			t.Fatalf("entry %s vanished", ev.ID)
		}
		checkEntry(t, e, ev)
	}
	if got := h.list(nil).Items; !reflect.DeepEqual(ids(got), envIDs(evs...)) {
		t.Errorf("list order = %v, want publication order %v", ids(got), envIDs(evs...))
	}
	if e, _ := h.entry(planned.ID); e.Time != "2024-05-01T07:59:58.123456789+02:00" {
		t.Errorf("time = %q, want the published ce-time with offset and nanoseconds", e.Time)
	}
	if n := h.QueryInt(`SELECT count(*) FROM inbox WHERE consumer = 'auditlog'`); n != len(evs) {
		t.Errorf("inbox rows of consumer auditlog = %d, want %d", n, len(evs))
	}
}

// TestStoredDataEqualsThePublishedBody publishes bodies that exercise JSON's corners
// (unknown fields, nesting, escapes, non-ASCII, numbers, null, empty containers) and
// checks that the stored data is JSON-equal to each.
func TestStoredDataEqualsThePublishedBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bodies := []string{
		`{}`,
		`{"customerId":"c-1","name":"Zoë \"Z\" O'Brien","extra":{"nested":[1,2.5,-3e2,{"deep":null}],"empty":[],"obj":{}}}`,
		`{"escapes":"tab\tnewline\nquote\"backslash\\slash\/ unicode \u00e9 \ud83d\ude97","html":"<b>&amp;</b>"}`,
		`{"big":12345678901234567890,"small":1e-7,"neg":-0.5,"bool":true,"no":false,"nil":null}`,
		"{ \"spaces\" :\n\t[ 1 , 2 ] ,\"b\":1,\"a\":2 }",
	}
	var evs []events.Envelope
	for i, body := range bodies {
		ev := customerRegistered(t, "body")
		ev.Subject = "body-" + string(rune('a'+i))
		ev.Data = json.RawMessage(body)
		evs = append(evs, ev)
		h.Publish(ev)
	}
	h.waitFor(evs...)
	for _, ev := range evs {
		e, _ := h.entry(ev.ID)
		if !jsonEqual(t, e.Data, ev.Data) {
			t.Errorf("data = %s, want JSON-equal to %s", e.Data, ev.Data)
		}
	}
}

// TestSameEventTwiceIsStoredOnce publishes one event twice with different Nats-Msg-Ids
// (as a relay retry after the duplicate window would) and checks it is stored once.
func TestSameEventTwiceIsStoredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := customerRegistered(t, "Lisa")
	h.Publish(ev, uuid.NewString())
	h.Publish(ev, uuid.NewString())
	// The consumer handles messages in stream order: once the marker is stored, both
	// copies have been delivered.
	marker := customerRegistered(t, "Marker")
	h.Publish(marker)
	h.waitFor(marker)
	testutil.Eventually(t, wait, func() bool { return h.Metric("pitstop_consumer_duplicates_total") == 1 },
		"the second copy was never recognised as a duplicate")

	if n := h.QueryInt(`SELECT count(*) FROM audit_entries WHERE event_id = $1`, ev.ID); n != 1 {
		t.Errorf("rows for the event = %d, want 1", n)
	}
	got := h.list(nil).Items
	if want := envIDs(ev, marker); !reflect.DeepEqual(ids(got), want) {
		t.Errorf("list = %v, want %v", ids(got), want)
	}
	l := h.list(map[string][]string{"subject": {ev.Subject}})
	if len(l.Items) != 1 {
		t.Errorf("entries with subject %s = %d, want 1", ev.Subject, len(l.Items))
	}
	if res := h.Get("/api/auditlog/" + ev.ID.String()); res.Status != http.StatusOK {
		t.Errorf("get: %d %s", res.Status, res.Body)
	}
}

// TestEventWithoutSubjectIsRecorded checks that ce-subject is optional.
func TestEventWithoutSubjectIsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{}, time.Now())
	if ev.Subject != "" {
		t.Fatalf("subject = %q, want empty", ev.Subject)
	}
	h.Publish(ev)
	h.waitFor(ev)
	e, _ := h.entry(ev.ID)
	checkEntry(t, e, ev)
}
