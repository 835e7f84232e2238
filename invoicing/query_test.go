package invoicing_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestListAndGetInvoices(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// An empty list is an empty array, not null.
	if r := e.Get("/api/invoices"); r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"items":[]}` {
		t.Fatalf("empty list: %d %s", r.Status, r.Body)
	}
	var customers []string
	for range 5 {
		c, j := newID(), newID()
		customers = append(customers, c)
		e.registerCustomer(c, "Customer "+c)
		e.planJob(j, c, "2026-03-02", "08:00", "09:00")
		e.finishJob(j, "2026-03-02", "08:00", "09:00")
	}
	slices.Sort(customers)
	e.WaitHandled(e.dayHasPassed("2026-03-03"))

	// Pages of two, in number order, every invoice once.
	var numbers, owners []string
	path := "/api/invoices?limit=2"
	pages := 0
	for {
		r := e.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		var p page
		r.JSON(t, &p)
		pages++
		for _, inv := range p.Items {
			numbers = append(numbers, inv.InvoiceNumber)
			owners = append(owners, inv.CustomerID)
		}
		if p.Next == "" {
			break
		}
		if len(p.Items) != 2 {
			t.Fatalf("a page with next holds %d items", len(p.Items))
		}
		path = "/api/invoices?limit=2&cursor=" + p.Next
	}
	want := []string{"2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005"}
	if pages != 3 || !reflect.DeepEqual(numbers, want) || !reflect.DeepEqual(owners, customers) {
		t.Errorf("%d pages, numbers %v, customers %v", pages, numbers, owners)
	}

	// Filter by customer, with paging.
	r := e.Get("/api/invoices?limit=1&customerId=" + customers[3])
	var p page
	r.JSON(t, &p)
	if r.Status != http.StatusOK || len(p.Items) != 1 || p.Items[0].CustomerID != customers[3] || p.Next != "" {
		t.Errorf("filtered: %d %s", r.Status, r.Body)
	}
	if got := e.invoices(newID()); len(got) != 0 {
		t.Errorf("invoices of an unknown customer: %+v", got)
	}

	// One invoice by id; unknown ids are 404.
	first := e.invoices("")[0]
	if got := e.invoice(first.InvoiceID); !reflect.DeepEqual(got.JobIDs, first.JobIDs) || got.InvoiceNumber != "2026-000001" ||
		got.Amount != (money{"EUR", 1850}) || got.DueDate != "2026-04-02" {
		t.Errorf("invoice %+v", got)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid", "2026-000001", "%00"} {
		r := e.Get("/api/invoices/" + id)
		if r.Status != http.StatusNotFound || r.Problem(t, http.StatusNotFound).Status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s", id, r.Status, r.Body)
		}
	}
}

func TestListInvoicesRejectsBadParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		query  string
		fields []string
	}{
		{"limit=0", []string{"limit"}},
		{"limit=201", []string{"limit"}},
		{"limit=-1", []string{"limit"}},
		{"limit=abc", []string{"limit"}},
		{"limit=1.5", []string{"limit"}},
		{"limit=99999999999999999999", []string{"limit"}},
		{"cursor=abc", []string{"cursor"}},
		{"cursor=aTE6MA", []string{"cursor"}}, // "i1:0"
		{"cursor=%27%20OR%201%3D1--", []string{"cursor"}},
		{"customerId=%00", []string{"customerId"}},
		{"customerId=%FF", []string{"customerId"}},
		{"customerId=a%0Ab", []string{"customerId"}},
		{"limit=0&cursor=x&customerId=%01", []string{"customerId", "limit", "cursor"}},
	} {
		r := e.Get("/api/invoices?" + tc.query)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", tc.query, r.Status, r.Body)
			continue
		}
		var fields []string
		for _, f := range r.Problem(t, http.StatusBadRequest).Errors {
			fields = append(fields, f.Field)
		}
		if !reflect.DeepEqual(fields, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.query, fields, tc.fields)
		}
	}
	// An injection attempt in the filter is just a customer id nobody has.
	if got := e.invoices("%27%20OR%20%271%27%3D%271"); len(got) != 0 {
		t.Errorf("injection filter: %+v", got)
	}
}
