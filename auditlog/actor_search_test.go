package auditlog_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// withActor is ev caused by actor: published with the ce-actor header.
func withActor(ev events.Envelope, actor string) events.Envelope {
	ev.Actor = actor
	return ev
}

// at is ev happening at t.
func at(ev events.Envelope, t time.Time) events.Envelope {
	ev.Time = t
	return ev
}

// jobPlanned is a MaintenanceJobPlanned event on date for the customer and vehicle.
func jobPlanned(t testing.TB, date, customer, licence, description string) events.Envelope {
	t.Helper()
	return servicetest.Event(t, workshopevents.Source, workshopevents.MaintenanceJobPlanned{
		PlanningDate: date, JobID: uuid.NewString(), StartTime: date + "T08:00:00+02:00", EndTime: date + "T10:00:00+02:00",
		Description: description,
		Customer:    workshopevents.JobCustomer{CustomerID: uuid.NewString(), Name: customer, TelephoneNumber: "+31 6 1"},
		Vehicle:     workshopevents.JobVehicle{LicenseNumber: licence, Brand: "Volvo", Type: "V70"},
	}, time.Now())
}

// vehicleRegistered is a VehicleRegistered event of the vehicle licence.
func vehicleRegistered(t testing.TB, licence, brand string) events.Envelope {
	t.Helper()
	return servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleRegistered{Vehicle: vehicleevents.Vehicle{
		LicenseNumber: licence, Brand: brand, Type: "Golf", OwnerID: uuid.NewString()}}, time.Now())
}

// publishAll publishes evs in order and waits until all are recorded.
func (h *harness) publishAll(evs ...events.Envelope) {
	h.T.Helper()
	for _, ev := range evs {
		h.Publish(ev)
	}
	h.waitFor(evs...)
}

// TestActorIsStoredAndReturned publishes events with and without the ce-actor header:
// each entry, read alone and in the list, carries the actor it was published with,
// and "" (the property present) for an event without one. (Fails if the recorder stores
// "" instead of the actor: checked.)
func TestActorIsStoredAndReturned(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := withActor(customerRegistered(t, "Lisa"), "staff:anna")
	client := withActor(vehicleRegistered(t, "AB-123-C", "VW"), "client:Zoë's planning app")
	none := customerRegistered(t, "Bob")
	if got := staff.Msg().Header.Get(events.HeaderActor); got != "staff:anna" {
		t.Fatalf("the published message's ce-actor = %q", got)
	}
	if got := none.Msg().Header.Values(events.HeaderActor); got != nil {
		t.Fatalf("an event without an actor is published with ce-actor %q", got)
	}
	all := []events.Envelope{staff, client, none}
	h.publishAll(all...)

	for _, ev := range all {
		e, ok := h.entry(ev.ID)
		if !ok {
			t.Fatalf("entry %s not found", ev.ID)
		}
		checkEntry(t, e, ev)
	}
	l := h.list(nil)
	if !reflect.DeepEqual(ids(l.Items), envIDs(all...)) {
		t.Fatalf("listed %v, want %v", ids(l.Items), envIDs(all...))
	}
	for i, e := range l.Items {
		checkEntry(t, e, all[i])
	}
	if res := h.Get("/api/auditlog/" + none.ID.String()); !strings.Contains(string(res.Body), `"actor":""`) {
		t.Errorf("an entry without an actor does not say so: %s", res.Body)
	}
}

// TestActorFilter checks ?actor=: exact and case-sensitive, never matching events
// without an actor, combined with the other filters and sorts.
func TestActorFilter(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	a1 := at(withActor(customerRegistered(t, "Lisa"), "staff:anna"), t0.Add(time.Hour))
	a2 := at(withActor(jobPlanned(t, "2024-05-01", "Lisa", "AB-123-C", "Oil"), "staff:anna"), t0)
	b := withActor(customerRegistered(t, "Bob"), "staff:annabel")
	upper := withActor(customerRegistered(t, "Kees"), "STAFF:ANNA")
	none := customerRegistered(t, "Piet")
	h.publishAll(a1, a2, b, upper, none)

	for _, tc := range []struct {
		query url.Values
		want  []events.Envelope
	}{
		{url.Values{"actor": {"staff:anna"}}, []events.Envelope{a1, a2}},
		{url.Values{"actor": {"staff:annabel"}}, []events.Envelope{b}},
		{url.Values{"actor": {"staff:ann"}}, nil},
		{url.Values{"actor": {"anna"}}, nil},
		{url.Values{"actor": {"STAFF:ANNA"}}, []events.Envelope{upper}},
		{url.Values{"actor": {"staff:anna "}}, nil},
		{url.Values{"actor": {""}}, []events.Envelope{a1, a2, b, upper, none}},
		{url.Values{"actor": {"staff:anna"}, "type": {"MaintenanceJobPlanned"}}, []events.Envelope{a2}},
		{url.Values{"actor": {"staff:anna"}, "type": {workshopevents.SubjectMaintenanceJobPlanned}}, []events.Envelope{a2}},
		{url.Values{"actor": {"staff:anna"}, "type": {"CustomerRegistered"}}, []events.Envelope{a1}},
		{url.Values{"actor": {"staff:anna"}, "sort": {"time"}}, []events.Envelope{a2, a1}},
		{url.Values{"actor": {"staff:anna"}, "sort": {"-recorded"}}, []events.Envelope{a2, a1}},
		{url.Values{"actor": {"staff:anna"}, "from": {t0.Add(time.Minute).Format(time.RFC3339)}}, []events.Envelope{a1}},
		{url.Values{"actor": {"staff:anna"}, "subject": {a2.Subject}}, []events.Envelope{a2}},
	} {
		if got, want := ids(h.list(tc.query).Items), envIDs(tc.want...); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", tc.query.Encode(), got, want)
		}
	}
}

// TestSearch checks ?q=: a literal, case-insensitive substring of the type, subject,
// actor or a string value of the body (not a key), trimmed, alone and with filters.
// (Fails without the jsonpath's "q" flag, regex metacharacters then matching, and
// without lower() on the subject: checked.)
func TestSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	zoe := withActor(customerRegistered(t, "Zoë van Dijk"), "staff:anna")
	bob := customerRegistered(t, "Bob")
	bob.Subject = "SUBJECT-only-42" // in no other attribute nor the body
	job := withActor(jobPlanned(t, "2031-07-15", "ZOË VAN DIJK", "AB-123-C",
		`Oil change, 50% off_today; say "hi" \ bye`), "staff:piet")
	volvo := withActor(vehicleRegistered(t, "XY-999-Z", "Volvo"), "staff:Kees")
	all := []events.Envelope{zoe, bob, job, volvo}
	h.publishAll(all...)

	for _, tc := range []struct {
		name string
		q    url.Values
		want []events.Envelope
	}{
		{"body value, other case, non-ASCII", url.Values{"q": {"zOË"}}, []events.Envelope{zoe, job}},
		{"type, lower case", url.Values{"q": {"maintenancejob"}}, []events.Envelope{job}},
		{"type's context", url.Values{"q": {".vehicles."}}, []events.Envelope{volvo}},
		{"subject", url.Values{"q": {"subject-ONLY"}}, []events.Envelope{bob}},
		{"subject and body values", url.Values{"q": {"2031-07"}}, []events.Envelope{job}},
		{"subject and body value", url.Values{"q": {"xy-999"}}, []events.Envelope{volvo}},
		{"nested body value", url.Values{"q": {"ab-123"}}, []events.Envelope{job}},
		{"actor, other case", url.Values{"q": {"KEES"}}, []events.Envelope{volvo}},
		{"actor prefix", url.Values{"q": {"staff:"}}, []events.Envelope{zoe, job, volvo}},
		{"a key is not searched", url.Values{"q": {"licenseNumber"}}, nil},
		{"percent is literal", url.Values{"q": {"50%"}}, []events.Envelope{job}},
		{"a lone percent is literal", url.Values{"q": {"%"}}, []events.Envelope{job}},
		{"underscore is literal", url.Values{"q": {"f_t"}}, []events.Envelope{job}},
		{"dot is literal", url.Values{"q": {"y.9"}}, nil},
		{"regex is literal", url.Values{"q": {"o.*e"}}, nil},
		{"quote and backslash", url.Values{"q": {`"hi" \ b`}}, []events.Envelope{job}},
		{"trimmed", url.Values{"q": {"  bob\t"}}, []events.Envelope{bob}},
		{"white space only is no search", url.Values{"q": {"   "}}, all},
		{"SQL", url.Values{"q": {"'; DROP TABLE audit_entries; --"}}, nil},
		{"no match", url.Values{"q": {"Mercedes"}}, nil},
		{"with a type", url.Values{"q": {"zoë"}, "type": {"CustomerRegistered"}}, []events.Envelope{zoe}},
		{"with an actor", url.Values{"q": {"zoë"}, "actor": {"staff:piet"}}, []events.Envelope{job}},
		{"sorted", url.Values{"q": {"staff:"}, "sort": {"-recorded"}}, []events.Envelope{volvo, job, zoe}},
	} {
		if got, want := ids(h.list(tc.q).Items), envIDs(tc.want...); !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s): got %v, want %v", tc.name, tc.q.Encode(), got, want)
		}
	}
}

// sortedAs is recorded (the entries in recording order) in the order named by sort,
// computed here from the published events: the key, then recording order, the whole
// reversed for a descending sort. Times compare at microsecond precision.
func sortedAs(recorded []events.Envelope, sortName string) []events.Envelope {
	out := slices.Clone(recorded)
	key := strings.TrimPrefix(sortName, "-")
	switch key {
	case "time":
		sort.SliceStable(out, func(i, j int) bool { return out[i].Time.UnixMicro() < out[j].Time.UnixMicro() })
	case "type":
		sort.SliceStable(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	}
	if strings.HasPrefix(sortName, "-") {
		slices.Reverse(out)
	}
	return out
}

// TestSort checks every ?sort= on events whose times are not in recording order, some
// equal (to the microsecond) or equal only in other offsets, of several types: one
// page, and the same order paged by two and by three; and that a cursor is refused
// with any other sort. (Fails with the descending keyset comparing the wrong way, with
// time order not ending in seq, and with two orders sharing a cursor prefix: checked.)
func TestSort(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	plus2 := time.FixedZone("", 2*60*60)
	recorded := []events.Envelope{
		at(customerRegistered(t, "A"), t0.Add(2*time.Hour)),
		at(vehicleRegistered(t, "AA-11-BB", "VW"), t0),
		at(jobPlanned(t, "2024-05-01", "A", "AA-11-BB", "x"), t0.Add(time.Hour).In(plus2)),
		at(customerRegistered(t, "B"), t0),                                             // the same time as the second
		at(vehicleRegistered(t, "CC-22-DD", "VW"), t0.Add(time.Hour+time.Microsecond)), // just after the third
		at(customerRegistered(t, "C"), t0.Add(2*time.Hour+500*time.Nanosecond)),        // the first, to the microsecond
		at(jobPlanned(t, "2024-05-02", "B", "CC-22-DD", "y"), t0.Add(-24*time.Hour)),
	}
	h.publishAll(recorded...)
	if got := ids(h.list(nil).Items); !reflect.DeepEqual(got, envIDs(recorded...)) {
		t.Fatalf("default order %v, want the publishing order %v", got, envIDs(recorded...))
	}

	for _, s := range []string{"", "recorded", "-recorded", "time", "-time", "type", "-type"} {
		name := s
		if name == "" {
			name = "recorded"
		}
		want := envIDs(sortedAs(recorded, name)...)
		q := url.Values{}
		if s != "" {
			q.Set("sort", s)
		}
		if got := ids(h.list(q).Items); !reflect.DeepEqual(got, want) {
			t.Errorf("sort %q: got %v, want %v", s, got, want)
		}
		for _, limit := range []int{2, 3} {
			q.Set("limit", fmt.Sprint(limit))
			items, pages := h.listAll(q)
			if got := ids(items); !reflect.DeepEqual(got, want) {
				t.Errorf("sort %q by %d: got %v, want %v", s, limit, got, want)
			}
			if wantPages := (len(recorded) + limit - 1) / limit; pages != wantPages {
				t.Errorf("sort %q by %d: %d pages, want %d", s, limit, pages, wantPages)
			}
		}
	}

	// A cursor belongs to its sort: with another, or with none, it is refused.
	for _, s := range []string{"recorded", "-recorded", "time", "-time", "type", "-type"} {
		next := h.list(url.Values{"sort": {s}, "limit": {"1"}}).Next
		if next == nil {
			t.Fatalf("sort %s: no next page", s)
		}
		for _, other := range []string{"", "recorded", "-recorded", "time", "-time", "type", "-type"} {
			if other == s || (other == "" && s == "recorded") {
				continue
			}
			res := h.Get("/api/auditlog?" + url.Values{"sort": {other}, "cursor": {*next}}.Encode())
			servicetest.WantFields(t, res.Problem(t, http.StatusBadRequest), "cursor")
		}
	}
}

// TestPagingUnderFilters pages, in every order and by several page sizes, through
// filtered lists: the pages together hold exactly the matching entries, each once, in
// order, in as many pages as they need and no more.
func TestPagingUnderFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	actors := []string{"staff:anna", "staff:piet", "", "staff:kees"} // not in step with the types
	var recorded []events.Envelope
	for i := range 30 {
		var ev events.Envelope
		switch i % 3 {
		case 0:
			ev = customerRegistered(t, fmt.Sprintf("Needle %d", i))
		case 1:
			ev = vehicleRegistered(t, fmt.Sprintf("NE-%02d-XX", i), "Volvo")
		default:
			ev = jobPlanned(t, "2024-05-01", "Haystack", fmt.Sprintf("HA-%02d-YY", i), "needle in a job")
		}
		// Times go back and forth, some equal.
		ev = at(withActor(ev, actors[i%len(actors)]), t0.Add(time.Duration((i*7)%11)*time.Minute))
		recorded = append(recorded, ev)
	}
	h.publishAll(recorded...)

	matching := func(keep func(events.Envelope) bool) []events.Envelope {
		var out []events.Envelope
		for _, ev := range recorded {
			if keep(ev) {
				out = append(out, ev)
			}
		}
		return out
	}
	from := t0.Add(3 * time.Minute)
	for _, tc := range []struct {
		query url.Values
		want  []events.Envelope
	}{
		{url.Values{"actor": {"staff:anna"}}, matching(func(ev events.Envelope) bool { return ev.Actor == "staff:anna" })},
		{url.Values{"q": {"NEEDLE"}}, matching(func(ev events.Envelope) bool {
			return strings.Contains(strings.ToLower(string(ev.Data)), "needle")
		})},
		{url.Values{"q": {"needle"}, "actor": {"staff:piet"}, "from": {from.Format(time.RFC3339)}},
			matching(func(ev events.Envelope) bool {
				return strings.Contains(strings.ToLower(string(ev.Data)), "needle") && ev.Actor == "staff:piet" &&
					!ev.Time.Before(from)
			})},
		{url.Values{"type": {"VehicleRegistered"}, "actor": {"staff:anna"}}, matching(func(ev events.Envelope) bool {
			return ev.Type == vehicleevents.SubjectVehicleRegistered && ev.Actor == "staff:anna"
		})},
		{url.Values{"actor": {"nobody"}}, nil},
	} {
		if len(tc.want) == 0 && tc.query.Get("actor") != "nobody" {
			t.Fatalf("%s: the test's filter selects nothing", tc.query.Encode())
		}
		for _, s := range []string{"recorded", "-recorded", "time", "-time", "type", "-type"} {
			want := envIDs(sortedAs(tc.want, s)...)
			for _, limit := range []int{1, 3, 4, 200} {
				q := cloneValues(tc.query)
				q.Set("sort", s)
				q.Set("limit", fmt.Sprint(limit))
				items, pages := h.listAll(q)
				if got := ids(items); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %d items %v, want %d %v", q.Encode(), len(got), got, len(want), want)
				}
				if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
					t.Errorf("%s: %d pages for %d items, want %d", q.Encode(), pages, len(want), wantPages)
				}
			}
		}
	}
}

// TestBadSortSearchAndActorParameters checks that an invalid sort, actor, q or cursor
// of a sort is a 400 problem document naming exactly the offending parameters. (Fails
// when an unknown sort falls back to the default: checked.)
func TestBadSortSearchAndActorParameters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := withActor(customerRegistered(t, "Lisa"), "staff:anna")
	h.publishAll(ev)
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	// The same 201 characters in more bytes, and 200 (400 bytes) that are fine.
	long := url.QueryEscape(strings.Repeat("ë", 201))
	ok200 := url.QueryEscape(strings.Repeat("ë", 200))

	for _, tc := range []struct {
		query string
		want  []string // nil: a 200
	}{
		{"sort=bogus", []string{"sort"}},
		{"sort=Time", []string{"sort"}},
		{"sort=time,type", []string{"sort"}},
		{"sort=-", []string{"sort"}},
		{"sort=%2Btime", []string{"sort"}},
		{"sort=%20time", []string{"sort"}},
		{"sort=" + strings.Repeat("time", 5000), []string{"sort"}},
		{"sort=time", nil},
		{"sort=-type", nil},
		{"actor=a%00b", []string{"actor"}},
		{"actor=%FF", []string{"actor"}},
		{"actor=" + strings.Repeat("x", 1025), []string{"actor"}},
		{"actor=" + strings.Repeat("x", 1024), nil},
		{"q=" + strings.Repeat("x", 201), []string{"q"}},
		{"q=" + long, []string{"q"}},
		{"q=" + ok200, nil},
		{"q=a%00", []string{"q"}},
		{"q=%C3", []string{"q"}},
		{"q=" + strings.Repeat("x", 100000), []string{"q"}},
		{"sort=time&cursor=" + cursor("a1t:5"), []string{"cursor"}},
		{"sort=time&cursor=" + cursor("a1t:5:0"), []string{"cursor"}},
		{"sort=time&cursor=" + cursor("a1t:05:1"), []string{"cursor"}},
		{"sort=time&cursor=" + cursor("a1t:x:1"), []string{"cursor"}},
		{"sort=time&cursor=" + cursor("a1t:5:1:2"), []string{"cursor"}},
		{"sort=time&cursor=" + cursor("a1t:9223372036854775807:1"), []string{"cursor"}},
		{"sort=-time&cursor=" + cursor("a1td:-9223372036854775808:1"), []string{"cursor"}},
		{"sort=time&cursor=" + cursor("a1t:-62167219200000000:1"), nil}, // 0000-01-01, the earliest event time
		{"sort=-time&cursor=" + cursor("a1td:253402300799999999:1"), nil},
		{"sort=type&cursor=" + cursor("a1y:1:"), []string{"cursor"}},
		{"sort=type&cursor=" + cursor("a1y:1"), []string{"cursor"}},
		{"sort=type&cursor=" + cursor("a1y:0:x"), []string{"cursor"}},
		{"sort=type&cursor=" + cursor("a1y:1:a\x00b"), []string{"cursor"}},
		{"sort=type&cursor=" + cursor("a1y:1:a\xffb"), []string{"cursor"}},
		{"sort=type&cursor=" + cursor("a1y:1:"+strings.Repeat("t", 1025)), []string{"cursor"}},
		{"sort=-type&cursor=" + cursor("a1yd:1:pitstop.x:y"), nil},
		{"sort=-recorded&cursor=" + cursor("a1:1"), []string{"cursor"}},
		{"sort=recorded&cursor=" + cursor("a1d:1"), []string{"cursor"}},
		// Without a valid sort the cursor cannot be judged: only sort is named.
		{"sort=x&cursor=garbage", []string{"sort"}},
		{"type=%00&subject=%00&actor=%00&q=%00&from=x&to=y&sort=z&limit=0", []string{"actor", "from", "limit", "q", "sort",
			"subject", "to", "type"}},
	} {
		res := h.Get("/api/auditlog?" + tc.query)
		if tc.want == nil {
			if res.Status != http.StatusOK {
				t.Errorf("%.80s: %d %s, want 200", tc.query, res.Status, res.Body)
			}
			continue
		}
		p := res.Problem(t, http.StatusBadRequest)
		if got := servicetest.Fields(p); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%.80s: fields %v, want %v (%.300s)", tc.query, got, tc.want, res.Body)
		}
	}
}

// TestEveryStaffRoleReadsTheAuditLog checks the x-pitstop-roles of both GETs: a front
// desk, planner or mechanic token reads the list and an entry; no token is a 401.
// (Fails, 403, without the list's x-pitstop-roles: checked.)
func TestEveryStaffRoleReadsTheAuditLog(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := withActor(customerRegistered(t, "Lisa"), "staff:anna")
	h.publishAll(ev)
	for _, role := range []auth.Role{auth.FrontDesk, auth.Planner, auth.Mechanic} {
		if res := h.Do(http.MethodGet, "/api/auditlog?actor=staff:anna", nil, servicetest.As(t, role)...); res.Status != http.StatusOK ||
			!strings.Contains(string(res.Body), ev.ID.String()) {
			t.Errorf("%s: list %d %s", role, res.Status, res.Body)
		}
		if res := h.Do(http.MethodGet, "/api/auditlog/"+ev.ID.String(), nil, servicetest.As(t, role)...); res.Status != http.StatusOK {
			t.Errorf("%s: entry %d %s", role, res.Status, res.Body)
		}
	}
	for _, path := range []string{"/api/auditlog", "/api/auditlog/" + ev.ID.String()} {
		if res := h.Do(http.MethodGet, path, nil, "Authorization", testutil.NoToken); res.Status != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d %s", path, res.Status, res.Body)
		}
	}
}
