package auditlog_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// wait bounds every poll for the consumer to catch up.
const wait = 20 * time.Second

// harness is one auditlog service (HTTP API and consumer) on its own fresh database
// and its own in-process JetStream server; every exchange is validated against
// serviceapis/openapi/auditlog.yaml.
type harness struct{ *servicetest.Service }

func newHarness(t testing.TB) *harness {
	t.Helper()
	return &harness{servicetest.Start(t, servicetest.Options{Name: "auditlog", Schema: auditlog.Schema,
		Build: auditlog.New, JetStream: true, Workers: true, Wait: wait})}
}

// entryJSON is the API's audit entry representation.
type entryJSON struct {
	EventID    string          `json:"eventId"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	Source     string          `json:"source"`
	Actor      *string         `json:"actor"` // nil when absent, which the API never does
	Time       string          `json:"time"`
	Data       json.RawMessage `json:"data"`
	RecordedAt string          `json:"recordedAt"`
}

type listJSON struct {
	Items []entryJSON `json:"items"`
	Next  *string     `json:"next"`
}

// list GETs one page with query q and requires a 200.
func (h *harness) list(q url.Values) listJSON {
	h.T.Helper()
	res := h.Get("/api/auditlog?" + q.Encode())
	if res.Status != http.StatusOK {
		h.T.Fatalf("list %s: %d %s", q.Encode(), res.Status, res.Body)
	}
	var l listJSON
	res.JSON(h.T, &l)
	if l.Items == nil {
		h.T.Fatalf("list %s: items is not an array: %s", q.Encode(), res.Body)
	}
	return l
}

// listAll follows the cursors from the first page of q to the last; it fails on a
// page loop.
func (h *harness) listAll(q url.Values) (items []entryJSON, pages int) {
	h.T.Helper()
	q = cloneValues(q)
	for pages = 1; pages < 1000; pages++ {
		l := h.list(q)
		items = append(items, l.Items...)
		if l.Next == nil {
			return items, pages
		}
		if *l.Next == "" {
			h.T.Fatal("next is present but empty")
		}
		q.Set("cursor", *l.Next)
	}
	h.T.Fatal("more than 1000 pages")
	return nil, 0
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// entry GETs one entry, reporting whether it exists.
func (h *harness) entry(id uuid.UUID) (entryJSON, bool) {
	h.T.Helper()
	res := h.Get("/api/auditlog/" + id.String())
	switch res.Status {
	case http.StatusOK:
		var e entryJSON
		res.JSON(h.T, &e)
		return e, true
	case http.StatusNotFound:
		return entryJSON{}, false
	default:
		h.T.Fatalf("get entry %s: %d %s", id, res.Status, res.Body)
		return entryJSON{}, false
	}
}

// waitFor polls the API until every event is in the audit log.
func (h *harness) waitFor(evs ...events.Envelope) {
	h.T.Helper()
	for _, ev := range evs {
		testutil.Eventually(h.T, wait, func() bool { _, ok := h.entry(ev.ID); return ok },
			"event %s (%s) never appeared in the audit log", ev.ID, ev.Type)
	}
}

// customerRegistered is a CustomerRegistered event of a new customer named name.
func customerRegistered(t testing.TB, name string) events.Envelope {
	t.Helper()
	return servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customerevents.Customer{
		CustomerID: uuid.NewString(), Name: name, Address: "Kerkstraat 1", PostalCode: "1234 AB", City: "Amsterdam",
		TelephoneNumber: "+31 6 12345678", EmailAddress: "lisa@example.com",
	}}, time.Now())
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("decode %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// checkEntry requires e to be ev as published.
func checkEntry(t testing.TB, e entryJSON, ev events.Envelope) {
	t.Helper()
	want := entryJSON{EventID: ev.ID.String(), Type: ev.Type, Subject: ev.Subject, Source: ev.Source,
		Time: ev.Time.Format(time.RFC3339Nano)}
	if e.Actor == nil {
		t.Errorf("entry %s has no actor property", ev.ID)
	} else if *e.Actor != ev.Actor {
		t.Errorf("entry %s actor = %q, want %q", ev.ID, *e.Actor, ev.Actor)
	}
	got := e
	got.Data, got.RecordedAt, got.Actor = nil, "", nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry = %+v, want %+v", got, want)
	}
	if !jsonEqual(t, e.Data, ev.Data) {
		t.Errorf("entry %s data = %s, want %s", ev.ID, e.Data, ev.Data)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.RecordedAt); err != nil {
		t.Errorf("recordedAt %q: %v", e.RecordedAt, err)
	}
}

// ids are the event ids of items, in order.
func ids(items []entryJSON) []string {
	out := make([]string, 0, len(items))
	for _, e := range items {
		out = append(out, e.EventID)
	}
	return out
}

// envIDs are the event ids of evs, in order.
func envIDs(evs ...events.Envelope) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.ID.String())
	}
	return out
}
