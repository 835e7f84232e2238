package auditlog_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestFilters checks type (full and short), subject and from/to, alone and combined.
func TestFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	at := func(ev events.Envelope, d time.Duration) events.Envelope { ev.Time = t0.Add(d); return ev }
	a, b := uuid.NewString(), uuid.NewString()
	cust := func(id string) customerevents.Customer {
		return customerevents.Customer{CustomerID: id, Name: "N", Address: "A", PostalCode: "P", City: "C",
			TelephoneNumber: "T", EmailAddress: "e@example.com"}
	}
	e1 := at(servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: cust(a)}, t0), 0)
	e2 := at(servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{Customer: cust(a)}, t0), time.Hour)
	e3 := at(servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: cust(b)}, t0), 2*time.Hour)
	e4 := at(servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleRegistered{Vehicle: vehicleevents.Vehicle{
		LicenseNumber: "AB-123-C", Brand: "VW", Type: "Golf", OwnerID: a}}, t0), 3*time.Hour)
	// Another context's event with the same short type name.
	e5 := at(customerRegistered(t, "Other"), 4*time.Hour)
	e5.Type, e5.Source, e5.Subject = "pitstop.othercontext.CustomerRegistered", "pitstop/othercontext", b
	all := []events.Envelope{e1, e2, e3, e4, e5}
	for _, ev := range all {
		h.Publish(ev)
	}
	h.waitFor(all...)

	ts := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	for _, tc := range []struct {
		name  string
		query url.Values
		want  []events.Envelope
	}{
		{"none", url.Values{}, all},
		{"full type", url.Values{"type": {customerevents.SubjectCustomerRegistered}}, []events.Envelope{e1, e3}},
		{"short type", url.Values{"type": {"CustomerRegistered"}}, []events.Envelope{e1, e3, e5}},
		{"short type of one event", url.Values{"type": {"VehicleRegistered"}}, []events.Envelope{e4}},
		{"type prefix is not a match", url.Values{"type": {"pitstop.customers"}}, nil},
		{"unknown type", url.Values{"type": {"pitstop.customers.CustomerDeleted"}}, nil},
		{"type is case-sensitive", url.Values{"type": {"customerregistered"}}, nil},
		{"subject", url.Values{"subject": {a}}, []events.Envelope{e1, e2}},
		{"licence number subject", url.Values{"subject": {"AB-123-C"}}, []events.Envelope{e4}},
		{"unknown subject", url.Values{"subject": {uuid.NewString()}}, nil},
		{"subject and short type", url.Values{"subject": {b}, "type": {"CustomerRegistered"}}, []events.Envelope{e3, e5}},
		{"subject and full type", url.Values{"subject": {b}, "type": {customerevents.SubjectCustomerRegistered}}, []events.Envelope{e3}},
		{"from is inclusive", url.Values{"from": {ts(time.Hour)}}, []events.Envelope{e2, e3, e4, e5}},
		{"to is exclusive", url.Values{"to": {ts(2 * time.Hour)}}, []events.Envelope{e1, e2}},
		{"from and to", url.Values{"from": {ts(time.Hour)}, "to": {ts(3 * time.Hour)}}, []events.Envelope{e2, e3}},
		{"from with an offset", url.Values{"from": {"2024-05-01T12:00:00+02:00"}}, []events.Envelope{e3, e4, e5}},
		{"from with fractional seconds", url.Values{"from": {t0.Add(time.Hour - time.Millisecond).Format(time.RFC3339Nano)}},
			[]events.Envelope{e2, e3, e4, e5}},
		{"one microsecond after an event", url.Values{"from": {t0.Add(2*time.Hour + time.Microsecond).Format(time.RFC3339Nano)}},
			[]events.Envelope{e4, e5}},
		{"empty window", url.Values{"from": {ts(30 * time.Minute)}, "to": {ts(31 * time.Minute)}}, nil},
		{"everything", url.Values{"type": {"CustomerRegistered"}, "subject": {b}, "from": {ts(3 * time.Hour)},
			"to": {ts(5 * time.Hour)}}, []events.Envelope{e5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h.list(tc.query)
			if want := envIDs(tc.want...); !reflect.DeepEqual(ids(got.Items), want) {
				t.Errorf("%s: got %v, want %v", tc.query.Encode(), ids(got.Items), want)
			}
			if got.Next != nil {
				t.Errorf("next = %q on a single page", *got.Next)
			}
		})
	}
}

// TestPaging pages through more events than one page holds, with the default and with
// explicit limits, with and without a filter, and while the log grows: no entry is
// returned twice and none is missing.
func TestPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	even := uuid.NewString()
	var evs, evens []events.Envelope
	for i := range 55 {
		ev := customerRegistered(t, fmt.Sprintf("Customer %d", i))
		if i%2 == 0 {
			ev.Subject = even
			evens = append(evens, ev)
		}
		evs = append(evs, ev)
		h.Publish(ev)
	}
	h.waitFor(evs[len(evs)-1])

	first := h.list(nil)
	if len(first.Items) != 50 || first.Next == nil {
		t.Fatalf("default page: %d items, next %v; want 50 and a next", len(first.Items), first.Next)
	}
	for _, tc := range []struct {
		limit     string
		wantPages int
	}{
		{"", 2}, {"1", 55}, {"5", 11}, {"7", 8}, {"11", 5}, {"54", 2}, {"55", 1}, {"200", 1},
	} {
		q := url.Values{}
		if tc.limit != "" {
			q.Set("limit", tc.limit)
		}
		items, pages := h.listAll(q)
		if !reflect.DeepEqual(ids(items), envIDs(evs...)) {
			t.Errorf("limit %q: paged ids differ from the published ones (%d items)", tc.limit, len(items))
		}
		if pages != tc.wantPages {
			t.Errorf("limit %q: %d pages, want %d", tc.limit, pages, tc.wantPages)
		}
	}

	// A filter pages too; its cursors skip non-matching entries.
	items, pages := h.listAll(url.Values{"subject": {even}, "limit": {"4"}})
	if !reflect.DeepEqual(ids(items), envIDs(evens...)) || pages != 7 {
		t.Errorf("filtered paging: %d items in %d pages, want the %d even events in 7 pages", len(items), pages, len(evens))
	}

	// Entries recorded while a client pages are picked up by its later pages.
	q := url.Values{"limit": {"20"}}
	page := h.list(q)
	got := ids(page.Items)
	var more []events.Envelope
	for i := range 3 {
		ev := customerRegistered(t, fmt.Sprintf("Late %d", i))
		more = append(more, ev)
		h.Publish(ev)
	}
	h.waitFor(more...)
	q.Set("cursor", *page.Next)
	rest, _ := h.listAll(q)
	got = append(got, ids(rest)...)
	if want := envIDs(append(evs, more...)...); !reflect.DeepEqual(got, want) {
		t.Errorf("paging while recording: %d ids, want %d in order, each once", len(got), len(want))
	}
}

// TestBadQueryParameters checks that every invalid parameter is a 400 problem document
// naming it, and that all of them are named at once.
func TestBadQueryParameters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := customerRegistered(t, "Lisa")
	h.Publish(ev)
	h.waitFor(ev)
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"from=yesterday", []string{"from"}},
		{"from=2024-05-01", []string{"from"}},
		{"from=2024-05-01T08:00:00", []string{"from"}},
		{"from=2024-13-01T08:00:00Z", []string{"from"}},
		{"to=1714550400", []string{"to"}},
		{"to=2024-05-01+08:00:00Z", []string{"to"}},
		{"from=2024-05-01T08:00:00Z&to=2024-05-01T08:00:00Z", []string{"to"}},
		{"from=2024-05-02T08:00:00Z&to=2024-05-01T08:00:00Z", []string{"to"}},
		{"limit=0", []string{"limit"}},
		{"limit=-1", []string{"limit"}},
		{"limit=201", []string{"limit"}},
		{"limit=abc", []string{"limit"}},
		{"limit=1.5", []string{"limit"}},
		{"limit=99999999999999999999", []string{"limit"}},
		{"limit=", nil},
		{"cursor=garbage!", []string{"cursor"}},
		{"cursor=" + cursor("a1:0"), []string{"cursor"}},
		{"cursor=" + cursor("a1:-5"), []string{"cursor"}},
		{"cursor=" + cursor("a1:01"), []string{"cursor"}},
		{"cursor=" + cursor("c1:1"), []string{"cursor"}},
		{"cursor=" + cursor("a1:99999999999999999999"), []string{"cursor"}},
		{"type=%00", []string{"type"}},
		{"type=Customer%FFRegistered", []string{"type"}},
		{"subject=a%00b", []string{"subject"}},
		{"subject=" + strings.Repeat("x", 1025), []string{"subject"}},
		{"type=x%00&subject=%FF&from=x&to=y&limit=0&cursor=z", []string{"cursor", "from", "limit", "subject", "to", "type"}},
	} {
		res := h.Get("/api/auditlog?" + tc.query)
		if tc.want == nil {
			if res.Status != http.StatusOK {
				t.Errorf("%s: %d %s, want 200", tc.query, res.Status, res.Body)
			}
			continue
		}
		p := res.Problem(t, http.StatusBadRequest)
		if got := servicetest.Fields(p); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: fields %v, want %v (%s)", tc.query, got, tc.want, res.Body)
		}
	}

	// An offset's "+" sent unencoded arrives as a space and is still understood.
	res := h.Get("/api/auditlog?from=2000-01-01T10:00:00+02:00&to=2999-01-01T00:00:00.5+01:00")
	if res.Status != http.StatusOK {
		t.Fatalf("unencoded offsets: %d %s", res.Status, res.Body)
	}
	var unencoded listJSON
	res.JSON(t, &unencoded)
	if len(unencoded.Items) != 1 {
		t.Errorf("unencoded offsets: %d items, want 1", len(unencoded.Items))
	}

	// A valid cursor past the end is an empty last page, not an error.
	l := h.list(url.Values{"cursor": {cursor("a1:1000000")}})
	if len(l.Items) != 0 || l.Next != nil {
		t.Errorf("cursor past the end: %+v", l)
	}
}

// TestGetEntry checks one entry by id, and 404 for unknown and malformed ids.
func TestGetEntry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := customerRegistered(t, "Lisa")
	h.Publish(ev)
	h.waitFor(ev)

	e, ok := h.entry(ev.ID)
	if !ok {
		t.Fatal("entry not found")
	}
	checkEntry(t, e, ev)
	if got := h.Get("/api/auditlog/" + strings.ToUpper(ev.ID.String())); got.Status != http.StatusOK {
		t.Errorf("upper-case id: %d", got.Status)
	}
	for _, path := range []string{
		"/api/auditlog/" + uuid.NewString(),
		"/api/auditlog/not-a-uuid",
		"/api/auditlog/" + ev.ID.String() + "x",
		"/api/auditlog/%00",
		"/api/auditlog/" + ev.ID.String() + "/more",
	} {
		h.Get(path).Problem(t, http.StatusNotFound)
	}
}
