package customers_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

type listJSON struct {
	Items []customerJSON `json:"items"`
	Next  *string        `json:"next"`
}

func TestGetCustomer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := h.register(lisa())

	var got customerJSON
	res := h.Do(http.MethodGet, "/api/customers/"+c.CustomerID, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("get: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &got)
	if got != c {
		t.Errorf("get = %+v, want %+v", got, c)
	}

	for _, path := range []string{
		"/api/customers/" + uuid.NewString(), // unknown
		"/api/customers/not-a-uuid",          // cannot name a customer: 404 as well
		"/api/customers/" + c.CustomerID + "x",
		"/api/customers/%27%20OR%201=1--",
	} {
		p := h.Do(http.MethodGet, path, nil).Problem(t, http.StatusNotFound)
		if p.Detail != "customer not found" {
			t.Errorf("GET %s: detail %q", path, p.Detail)
		}
	}
}

func TestListCustomersPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)

	// An empty list is an empty array, not null, and has no next page.
	res := h.Do(http.MethodGet, "/api/customers", nil)
	if res.Status != http.StatusOK || string(res.Body) != "{\"items\":[]}\n" {
		t.Fatalf("empty list: %d %s", res.Status, res.Body)
	}

	const n = 7
	var registered []customerJSON
	for i := range n {
		c := lisa()
		c.Name = fmt.Sprintf("Customer %d", i)
		// Injection attempts are data, stored and returned literally.
		if i == 3 {
			c.Name = "Robert'); DROP TABLE customers;--"
		}
		registered = append(registered, h.register(c))
	}

	// Pages of 3 across cursors: 3, 3, 1, in registration order, no next on the last.
	var (
		all    []customerJSON
		sizes  []int
		cursor string
	)
	for page := 0; ; page++ {
		if page > n {
			t.Fatal("paging does not end")
		}
		q := url.Values{"limit": {"3"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res := h.Do(http.MethodGet, "/api/customers?"+q.Encode(), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("page %d: %d %s", page, res.Status, res.Body)
		}
		var l listJSON
		res.JSON(t, &l)
		all = append(all, l.Items...)
		sizes = append(sizes, len(l.Items))
		if l.Next == nil {
			break
		}
		if *l.Next == "" {
			t.Fatal("next is present but empty")
		}
		cursor = *l.Next
	}
	if fmt.Sprint(sizes) != "[3 3 1]" {
		t.Errorf("page sizes %v, want [3 3 1]", sizes)
	}
	if fmt.Sprint(all) != fmt.Sprint(registered) {
		t.Errorf("paged items\n%v\nwant (registration order)\n%v", all, registered)
	}

	// The default limit (50) returns all 7; a limit equal to the count has no next page.
	for _, path := range []string{"/api/customers", "/api/customers?limit=7", "/api/customers?limit=200"} {
		var l listJSON
		h.Do(http.MethodGet, path, nil).JSON(t, &l)
		if len(l.Items) != n || l.Next != nil {
			t.Errorf("%s: %d items, next %v", path, len(l.Items), l.Next)
		}
	}
	// limit=6 leaves one for a second page.
	var l listJSON
	h.Do(http.MethodGet, "/api/customers?limit=6", nil).JSON(t, &l)
	if len(l.Items) != 6 || l.Next == nil {
		t.Fatalf("limit=6: %d items, next %v", len(l.Items), l.Next)
	}
	var rest listJSON
	h.Do(http.MethodGet, "/api/customers?limit=6&cursor="+url.QueryEscape(*l.Next), nil).JSON(t, &rest)
	if len(rest.Items) != 1 || rest.Items[0] != registered[6] || rest.Next != nil {
		t.Errorf("second page %+v", rest)
	}
}

func TestListCustomersBadQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.register(lisa())
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=-1", "limit"},
		{"limit=201", "limit"},
		{"limit=abc", "limit"},
		{"limit=1.5", "limit"},
		{"limit=99999999999999999999", "limit"},
		{"cursor=garbage!", "cursor"},
		{"cursor=" + b64("c1:abc"), "cursor"},
		{"cursor=" + b64("c1:-5"), "cursor"},
		{"cursor=" + b64("c1:0"), "cursor"},
		{"cursor=" + b64("c1:99999999999999999999"), "cursor"},
		{"cursor=" + b64("x1:5"), "cursor"},
		{"cursor=" + url.QueryEscape("' OR 1=1 --"), "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			p := h.Do(http.MethodGet, "/api/customers?"+tt.query, nil).Problem(t, http.StatusBadRequest)
			servicetest.WantFields(t, p, tt.field)
		})
	}
}
