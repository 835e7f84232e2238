package customers_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

func TestUpdateCustomer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := h.register(lisa())
	path := "/api/customers/" + c.CustomerID

	changed := lisa()
	changed.Address = " Dorpsstraat 9 "
	changed.City = "Utrecht"
	changed.EmailAddress = "lisa@verbeek.example"
	res := h.Do(http.MethodPut, path, changed)
	if res.Status != http.StatusOK {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	want := lisa()
	want.CustomerID = c.CustomerID
	want.Address, want.City, want.EmailAddress = "Dorpsstraat 9", "Utrecht", "lisa@verbeek.example"
	var got customerJSON
	res.JSON(t, &got)
	if got != want {
		t.Errorf("update answered %+v, want %+v", got, want)
	}
	var fetched customerJSON
	h.Do(http.MethodGet, path, nil).JSON(t, &fetched)
	if fetched != want {
		t.Errorf("after update get = %+v, want %+v", fetched, want)
	}

	rows := h.OutboxRows()
	if len(rows) != 2 {
		t.Fatalf("outbox has %d rows, want registered + updated", len(rows))
	}
	up := rows[1]
	if up.EventType != "pitstop.customers.CustomerUpdated" || up.Subject != c.CustomerID || up.EventID == rows[0].EventID {
		t.Errorf("update event %+v", up)
	}
	var body map[string]any
	if err := json.Unmarshal(up.Payload, &body); err != nil {
		t.Fatal(err)
	}
	wantBody := map[string]any{
		"customerId": c.CustomerID, "name": "Lisa Verbeek", "address": "Dorpsstraat 9", "postalCode": "1234 AB",
		"city": "Utrecht", "telephoneNumber": "+31 6 12345678", "emailAddress": "lisa@verbeek.example",
	}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("CustomerUpdated body = %v, want %v", body, wantBody)
	}

	// The same data again (even with the id repeated in the body) changes nothing and
	// publishes nothing.
	same := want
	same.Name = "  " + same.Name
	res = h.Do(http.MethodPut, path, same)
	if res.Status != http.StatusOK {
		t.Fatalf("same update: %d %s", res.Status, res.Body)
	}
	if s := h.stored(); s != (stored{1, 2}) {
		t.Errorf("unchanged update stored %+v, want 1 customer and still 2 events", s)
	}
}

func TestUpdateCustomerRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := h.register(lisa())
	path := "/api/customers/" + c.CustomerID
	with := func(f func(*customerJSON)) customerJSON { c := lisa(); f(&c); return c }

	tests := []struct {
		name    string
		path    string
		body    any
		headers []string
		status  int
		fields  []string
	}{
		{name: "unknown id", path: "/api/customers/" + uuid.NewString(), body: lisa(), status: 404},
		{name: "not a uuid", path: "/api/customers/nope", body: lisa(), status: 404},
		{name: "malformed JSON", path: path, body: `{"name":`, status: 400},
		{name: "wrong type", path: path, body: `{"city": ["Utrecht"]}`, status: 400, fields: []string{"city"}},
		{name: "missing fields are all listed", path: path, body: `{"name": "Lisa"}`, status: 400,
			fields: []string{"address", "postalCode", "city", "telephoneNumber", "emailAddress"}},
		{name: "bad e-mail", path: path, body: with(func(c *customerJSON) { c.EmailAddress = "lisa@" }),
			status: 400, fields: []string{"emailAddress"}},
		{name: "different id in body", path: path, body: with(func(c *customerJSON) { c.CustomerID = uuid.NewString(); c.City = "" }),
			status: 400, fields: []string{"customerId", "city"}},
		{name: "wrong content type", path: path, body: lisa(), headers: []string{"Content-Type", "text/xml"}, status: 415},
		{name: "oversized", path: path, body: with(func(c *customerJSON) { c.Name = strings.Repeat("n", maxBody) }), status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := h.Do(http.MethodPut, tt.path, tt.body, tt.headers...).Problem(t, tt.status)
			if tt.fields != nil {
				servicetest.WantFields(t, p, tt.fields...)
			}
			if s := h.stored(); s != (stored{1, 1}) {
				t.Errorf("rejected update stored %+v, want the registration only", s)
			}
			var got customerJSON
			h.Do(http.MethodGet, path, nil).JSON(t, &got)
			if got != c {
				t.Errorf("rejected update changed the customer: %+v", got)
			}
		})
	}
}

func TestUpdateCustomerConcurrent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := h.register(lisa())
	// Concurrent updates to different values: each that changed something recorded
	// exactly one event, and the last event describes the stored state.
	const n = 8
	done := make(chan int, n)
	for i := range n {
		go func() {
			u := lisa()
			u.City = "City " + string(rune('A'+i))
			res, err := h.Try(http.MethodPut, "/api/customers/"+c.CustomerID, u)
			if err != nil {
				done <- 0
				return
			}
			done <- res.Status
		}()
	}
	for range n {
		if s := <-done; s != http.StatusOK {
			t.Errorf("concurrent update status %d", s)
		}
	}
	if s := h.stored(); s != (stored{1, 1 + n}) {
		t.Errorf("stored %+v, want 1 customer and %d events", s, 1+n)
	}
	rows := h.OutboxRows()
	var last customerJSON
	if err := json.Unmarshal(rows[len(rows)-1].Payload, &last); err != nil {
		t.Fatal(err)
	}
	var got customerJSON
	h.Do(http.MethodGet, "/api/customers/"+c.CustomerID, nil).JSON(t, &got)
	if got != last {
		t.Errorf("stored %+v, but the last event says %+v", got, last)
	}
}
