package workshop_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// seedRefData writes customers and vehicles straight into the read model (as the
// consumer would).
func (e *env) seedRefData(customers map[string]string, vehicles [][4]string) {
	e.T.Helper()
	ctx := context.Background()
	for id, name := range customers {
		if _, err := e.Pool.Exec(ctx, `INSERT INTO customers (customer_id, name, address, postal_code, city,
			telephone_number, email_address, event_time, event_id) VALUES ($1, $2, 'a', 'p', 'c', 't', 'e', $3, $4)`,
			id, name, time.Now(), uuid.New()); err != nil {
			e.T.Fatal(err)
		}
	}
	for _, v := range vehicles {
		if _, err := e.Pool.Exec(ctx, `INSERT INTO vehicles (license_number, brand, type, owner_id, event_time, event_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, v[0], v[1], v[2], v[3], time.Now(), uuid.New()); err != nil {
			e.T.Fatal(err)
		}
	}
}

// listAll walks every page of a list and returns the given field of each item.
func (e *env) listAll(path, field string, limit int) []string {
	e.T.Helper()
	var out []string
	cursor := ""
	for range 100 {
		p := path + "&limit=" + strconv.Itoa(limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.Do("GET", p, nil)
		if r.Status != http.StatusOK {
			e.T.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
		var page struct {
			Items []map[string]any `json:"items"`
			Next  string           `json:"next"`
		}
		r.JSON(e.T, &page)
		for _, i := range page.Items {
			out = append(out, i[field].(string))
		}
		if page.Next == "" {
			return out
		}
		cursor = page.Next
	}
	e.T.Fatal("list does not end")
	return nil
}

func TestRefDataSearch(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	e.seedRefData(map[string]string{
		"c1": "Anna de Vries", "c2": "Joanne Smith", "c3": "Bob Anning", "c4": "Carl", "c5": "ANNE", "c6": "50% Ann_Co",
		"c7": "anna de vries",
	}, [][4]string{
		{"AB-1-CD", "Volkswagen", "Golf", "c1"}, {"AB-12-X", "Audi", "A3", "c2"}, {"XX-1-AB", "Tesla", "Model 3", "c1"},
		{"ZZ-9-ZZ", "Fiat", "Abarth", "c3"}, {"QQ-1-QQ", "Volvo", "V70", "c4"},
	})
	for _, limit := range []int{1, 2, 50} {
		// Case-insensitive substring of the name, ordered by lower-cased name then id.
		got := e.listAll("/api/refdata/customers?q=ann", "customerId", limit)
		if want := []string{"c6", "c1", "c7", "c5", "c3", "c2"}; !slices.Equal(got, want) {
			t.Fatalf("limit %d: q=ann gives %v, want %v", limit, got, want)
		}
	}
	// LIKE wildcards in q are literal.
	for _, q := range []string{"%", "_", "50%", "n_c"} {
		if got := e.listAll("/api/refdata/customers?q="+url.QueryEscape(q), "customerId", 10); !slices.Equal(got, []string{"c6"}) {
			t.Fatalf("q=%s: %v", q, got)
		}
	}
	if got := e.listAll("/api/refdata/customers?q=zzz", "customerId", 10); len(got) != 0 {
		t.Fatalf("q=zzz: %v", got)
	}
	// Without q the list is by id, as before.
	if got := e.listAll("/api/refdata/customers?", "customerId", 3); !slices.Equal(got, []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7"}) {
		t.Fatalf("all customers %v", got)
	}

	for _, limit := range []int{1, 50} {
		// Licence number, brand or type; by licence number.
		if got := e.listAll("/api/refdata/vehicles?q=ab-1", "licenseNumber", limit); !slices.Equal(got, []string{"AB-1-CD", "AB-12-X"}) {
			t.Fatalf("q=ab-1: %v", got)
		}
		if got := e.listAll("/api/refdata/vehicles?q=AB", "licenseNumber", limit); !slices.Equal(got, []string{"AB-1-CD", "AB-12-X", "XX-1-AB", "ZZ-9-ZZ"}) {
			t.Fatalf("q=AB: %v", got)
		}
		if got := e.listAll("/api/refdata/vehicles?q=volk", "licenseNumber", limit); !slices.Equal(got, []string{"AB-1-CD"}) {
			t.Fatalf("q=volk: %v", got)
		}
		if got := e.listAll("/api/refdata/vehicles?customerId=c1", "licenseNumber", limit); !slices.Equal(got, []string{"AB-1-CD", "XX-1-AB"}) {
			t.Fatalf("customerId=c1: %v", got)
		}
		if got := e.listAll("/api/refdata/vehicles?customerId=c1&q=tesla", "licenseNumber", limit); !slices.Equal(got, []string{"XX-1-AB"}) {
			t.Fatalf("customerId=c1&q=tesla: %v", got)
		}
	}

	plainCursor := func() string {
		var page struct{ Next string }
		e.Do("GET", "/api/refdata/customers?limit=1", nil).JSON(t, &page)
		return page.Next
	}()
	for _, tt := range []struct{ name, path, field string }{
		{"q too long", "/api/refdata/customers?q=" + longString(101), "q"},
		{"vehicle q too long", "/api/refdata/vehicles?q=" + longString(101), "q"},
		{"plain cursor in a search", "/api/refdata/customers?q=ann&cursor=" + url.QueryEscape(plainCursor), "cursor"},
		{"search cursor that is no key", "/api/refdata/customers?q=ann&cursor=bjE6eA", "cursor"},
		{"bad limit in a search", "/api/refdata/customers?q=ann&limit=500", "limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			servicetest.WantFields(t, e.For(t).Do("GET", tt.path, nil).Problem(t, http.StatusBadRequest), tt.field)
		})
	}
}

func longString(n int) string { return strings.Repeat("a", n) }
