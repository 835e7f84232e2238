package customers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

func TestRegisterCustomer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)

	in := customerJSON{
		Name:            "  Lisa Verbeek ",
		Address:         "Kerkstraat 1 ",
		PostalCode:      " 1234 AB",
		City:            "Amsterdam",
		TelephoneNumber: "+31 6 12345678",
		EmailAddress:    " lisa@example.com ",
	}
	res := h.Do(http.MethodPost, "/api/customers", in)
	if res.Status != http.StatusCreated {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	var got customerJSON
	res.JSON(t, &got)
	id, err := uuid.Parse(got.CustomerID)
	if err != nil {
		t.Fatalf("customerId %q: %v", got.CustomerID, err)
	}
	want := lisa()
	want.CustomerID = id.String()
	if got != want {
		t.Errorf("body = %+v, want %+v (trimmed)", got, want)
	}
	if loc := res.Header.Get("Location"); loc != "/api/customers/"+id.String() {
		t.Errorf("Location = %q", loc)
	}

	// The resource is where Location says, with the same representation.
	res = h.Do(http.MethodGet, res.Header.Get("Location"), nil)
	if res.Status != http.StatusOK {
		t.Fatalf("get: %d %s", res.Status, res.Body)
	}
	var fetched customerJSON
	res.JSON(t, &fetched)
	if fetched != want {
		t.Errorf("get = %+v, want %+v", fetched, want)
	}

	// Exactly one CustomerRegistered row in the outbox, with every camelCase field.
	rows := h.OutboxRows()
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1", len(rows))
	}
	row := rows[0]
	if row.EventType != "pitstop.customers.CustomerRegistered" {
		t.Errorf("event type = %q", row.EventType)
	}
	if row.Source != customerevents.Source || row.Subject != id.String() {
		t.Errorf("source %q subject %q", row.Source, row.Subject)
	}
	if _, err := uuid.Parse(row.EventID); err != nil {
		t.Errorf("event id %q: %v", row.EventID, err)
	}
	var body map[string]any
	if err := json.Unmarshal(row.Payload, &body); err != nil {
		t.Fatalf("payload %s: %v", row.Payload, err)
	}
	wantBody := map[string]any{
		"customerId": id.String(), "name": "Lisa Verbeek", "address": "Kerkstraat 1", "postalCode": "1234 AB",
		"city": "Amsterdam", "telephoneNumber": "+31 6 12345678", "emailAddress": "lisa@example.com",
	}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("event body = %v, want %v", body, wantBody)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("stored %+v, want 1 customer, 1 event", s)
	}
}

func TestRegisterCustomerWithClientID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	id := uuid.New()
	in := lisa()
	// Any form uuid.Parse accepts; the canonical form is stored.
	in.CustomerID = strings.ToUpper(id.String())
	got := h.register(in)
	if got.CustomerID != id.String() {
		t.Errorf("customerId = %q, want %q", got.CustomerID, id)
	}
	rows := h.OutboxRows()
	if len(rows) != 1 || rows[0].Subject != id.String() {
		t.Errorf("outbox rows %+v", rows)
	}
}

func TestRegisterCustomerIdempotentRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	in := lisa()
	in.CustomerID = uuid.NewString()
	first := h.Do(http.MethodPost, "/api/customers", in)
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}

	// Same id, same body: the existing resource, 200, nothing new stored.
	again := h.Do(http.MethodPost, "/api/customers", in)
	if again.Status != http.StatusOK {
		t.Fatalf("retry: %d %s", again.Status, again.Body)
	}
	if string(again.Body) != string(first.Body) || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("retry answered %s at %q, first %s at %q", again.Body, again.Header.Get("Location"),
			first.Body, first.Header.Get("Location"))
	}
	// The same data with different surrounding white space is the same registration.
	padded := in
	padded.Name = " " + in.Name + "  "
	if res := h.Do(http.MethodPost, "/api/customers", padded); res.Status != http.StatusOK {
		t.Errorf("padded retry: %d %s", res.Status, res.Body)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("after retries stored %+v, want 1 customer and 1 event", s)
	}

	// Same id, different body: 409 and nothing changes.
	other := in
	other.City = "Rotterdam"
	p := h.Do(http.MethodPost, "/api/customers", other).Problem(t, http.StatusConflict)
	if !strings.Contains(p.Detail, "different data") {
		t.Errorf("conflict detail %q", p.Detail)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("after conflict stored %+v, want 1 customer and 1 event", s)
	}
	var got customerJSON
	h.Do(http.MethodGet, first.Header.Get("Location"), nil).JSON(t, &got)
	if got.City != "Amsterdam" {
		t.Errorf("conflicting registration changed the customer: %+v", got)
	}
}

func TestRegisterCustomerConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	const n = 12

	post := func(bodies []customerJSON) map[int]int {
		var (
			mu       sync.Mutex
			statuses = map[int]int{}
			wg       sync.WaitGroup
			start    = make(chan struct{})
		)
		for _, b := range bodies {
			wg.Go(func() {
				<-start
				res, err := h.Try(http.MethodPost, "/api/customers", b)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				statuses[res.Status]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		return statuses
	}

	// The same registration retried concurrently: one creates, the others see it.
	same := lisa()
	same.CustomerID = uuid.NewString()
	bodies := make([]customerJSON, n)
	for i := range bodies {
		bodies[i] = same
	}
	if got, want := post(bodies), map[int]int{201: 1, 200: n - 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("same body: statuses %v, want %v", got, want)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("stored %+v, want 1 customer and 1 event", s)
	}

	// Different registrations racing for one id: one wins, the others conflict.
	id := uuid.NewString()
	for i := range bodies {
		bodies[i] = lisa()
		bodies[i].CustomerID = id
		bodies[i].Name = "Customer " + string(rune('A'+i))
	}
	if got, want := post(bodies), map[int]int{201: 1, 409: n - 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("different bodies: statuses %v, want %v", got, want)
	}
	if s := h.stored(); s != (stored{2, 2}) {
		t.Errorf("stored %+v, want 2 customers and 2 events", s)
	}
}

func TestRegisterCustomerRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)

	long := func(n int) string { return strings.Repeat("x", n) }
	with := func(f func(*customerJSON)) customerJSON { c := lisa(); f(&c); return c }
	tests := []struct {
		name    string
		body    any
		headers []string
		status  int
		fields  []string // nil: no field list expected
	}{
		{name: "malformed JSON", body: `{"name": "Lisa",`, status: 400},
		{name: "not JSON at all", body: `name=Lisa`, status: 400},
		{name: "empty body", body: ``, status: 400},
		{name: "two JSON values", body: `{"name":"a"} {"name":"b"}`, status: 400},
		{name: "top-level array", body: `[{"name":"Lisa"}]`, status: 400},
		{name: "top-level null", body: `null`, status: 400,
			fields: []string{"name", "address", "postalCode", "city", "telephoneNumber", "emailAddress"}},
		{name: "name is a number", body: `{"name": 5, "address": "a", "postalCode": "1", "city": "c",
			"telephoneNumber": "1", "emailAddress": "a@example.com"}`, status: 400, fields: []string{"name"}},
		{name: "customerId is a number", body: `{"customerId": 7}`, status: 400, fields: []string{"customerId"}},
		{name: "email is an object", body: `{"emailAddress": {"a": 1}}`, status: 400, fields: []string{"emailAddress"}},
		{name: "missing fields are all listed", body: `{}`, status: 400,
			fields: []string{"name", "address", "postalCode", "city", "telephoneNumber", "emailAddress"}},
		{name: "null and blank fields", body: `{"name": null, "address": "  ", "postalCode": "1", "city": "c",
			"telephoneNumber": "1", "emailAddress": "a@example.com"}`, status: 400, fields: []string{"name", "address"}},
		{name: "bad e-mail", body: with(func(c *customerJSON) { c.EmailAddress = "lisa-at-example.com" }),
			status: 400, fields: []string{"emailAddress"}},
		{name: "e-mail with display name", body: with(func(c *customerJSON) { c.EmailAddress = "Lisa <lisa@example.com>" }),
			status: 400, fields: []string{"emailAddress"}},
		{name: "invalid customerId", body: with(func(c *customerJSON) { c.CustomerID = "42" }),
			status: 400, fields: []string{"customerId"}},
		{name: "nil customerId", body: with(func(c *customerJSON) { c.CustomerID = uuid.Nil.String() }),
			status: 400, fields: []string{"customerId"}},
		{name: "invalid customerId and missing name", body: with(func(c *customerJSON) { c.CustomerID = "x"; c.Name = "" }),
			status: 400, fields: []string{"customerId", "name"}},
		{name: "fields too long", body: with(func(c *customerJSON) { c.Name = long(201); c.PostalCode = long(21) }),
			status: 400, fields: []string{"name", "postalCode"}},
		{name: "NUL byte", body: with(func(c *customerJSON) { c.City = "Amster\x00dam" }),
			status: 400, fields: []string{"city"}},
		{name: "header injection", body: with(func(c *customerJSON) { c.EmailAddress = "a@example.com\r\nBcc: b@example.com" }),
			status: 400, fields: []string{"emailAddress"}},
		{name: "SQL in fields is just text, but this one is too long", body: with(func(c *customerJSON) {
			c.PostalCode = "'; DROP TABLE customers; --"
		}), status: 400, fields: []string{"postalCode"}},
		{name: "wrong content type", body: lisa(), headers: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "form content type", body: `name=Lisa`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "oversized body", body: with(func(c *customerJSON) { c.Address = long(maxBody) }), status: 413},
		{name: "oversized chunked body", body: io.MultiReader(strings.NewReader(`{"address":"`),
			strings.NewReader(long(maxBody)), strings.NewReader(`"}`)), status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case checks that the shared database stays empty.
			res := h.Do(http.MethodPost, "/api/customers", tt.body, tt.headers...)
			p := res.Problem(t, tt.status)
			if tt.fields != nil {
				servicetest.WantFields(t, p, tt.fields...)
			}
			if s := h.stored(); s != (stored{}) {
				t.Errorf("rejected request stored %+v", s)
			}
		})
	}
}
