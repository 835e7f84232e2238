package customers_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// searchFixture registers customers whose names, e-mail addresses and cities exercise
// the filters and the orders; it returns them by short key, in registration order.
func searchFixture(h *harness) (map[string]customerJSON, []string) {
	h.T.Helper()
	type def struct{ key, name, city, email string }
	defs := []def{
		{"anna", "anna de Boer", "Amsterdam", "anna@boer.example"},
		{"bram", "Bram Verbeek", "Utrecht", "bram@garage.example"},
		{"lisa", "Lisa VERBEEK", "amstelveen", "lisa@verbeek.example"},
		{"carl", "Carl Jansen", "Nieuw-Amsterdam", "carl@jansen.example"},
		{"anna2", "Anna de Boer", "Utrecht", "anna2@boer.example"}, // same name as anna, other case
		{"pct", "100% Auto", "Zwolle", "info@auto.example"},
		{"under", "Auto_Smit", "Amsterdam", "smit@garage.example"},
		{"dirk", "Dirk Bakker", "Den Haag", "dirk@bakker.example"},
	}
	out := map[string]customerJSON{}
	var keys []string
	for _, d := range defs {
		c := lisa()
		c.Name, c.City, c.EmailAddress = d.name, d.city, d.email
		out[d.key] = h.register(c)
		keys = append(keys, d.key)
	}
	return out, keys
}

// listAll follows next from the first page of query with pages of limit, requiring
// that pages are full until the last, and returns every item in order.
func (h *harness) listAll(t *testing.T, query url.Values, limit int) []customerJSON {
	t.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(limit))
	var all []customerJSON
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("paging does not end")
		}
		res := h.Do(http.MethodGet, "/api/customers?"+q.Encode(), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", q.Encode(), res.Status, res.Body)
		}
		var l listJSON
		res.JSON(t, &l)
		all = append(all, l.Items...)
		if l.Next == nil {
			if len(l.Items) > limit {
				t.Errorf("last page of %s has %d items", q.Encode(), len(l.Items))
			}
			return all
		}
		if len(l.Items) != limit {
			t.Errorf("page %d of %s has %d items before the last, want %d", page, q.Encode(), len(l.Items), limit)
		}
		q.Set("cursor", *l.Next)
	}
}

func names(cs []customerJSON, byKey map[string]customerJSON) []string {
	inverse := map[string]string{}
	for k, c := range byKey {
		inverse[c.CustomerID] = k
	}
	out := []string{}
	for _, c := range cs {
		out = append(out, inverse[c.CustomerID])
	}
	return out
}

func TestListCustomersSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	byKey, _ := searchFixture(h)

	tests := []struct {
		name  string
		query url.Values
		want  []string // registration order
	}{
		{"q matches the name ignoring case", url.Values{"q": {"verbeek"}}, []string{"bram", "lisa"}},
		{"q matches a substring", url.Values{"q": {"ERBE"}}, []string{"bram", "lisa"}},
		{"q matches the e-mail address", url.Values{"q": {"@garage."}}, []string{"bram", "under"}},
		{"q is trimmed", url.Values{"q": {"  jansen "}}, []string{"carl"}},
		{"% in q is literal", url.Values{"q": {"%"}}, []string{"pct"}},
		{"_ in q is literal", url.Values{"q": {"auto_"}}, []string{"under"}},
		{"backslash in q is literal", url.Values{"q": {`\`}}, []string{}},
		{"injection in q is data", url.Values{"q": {"' OR 1=1 --"}}, []string{}},
		{"q without a match", url.Values{"q": {"nobody"}}, []string{}},
		{"city is a prefix ignoring case", url.Values{"city": {"AMST"}}, []string{"anna", "lisa", "under"}},
		{"whole city", url.Values{"city": {"utrecht"}}, []string{"bram", "anna2"}},
		{"city is not a substring", url.Values{"city": {"dam"}}, []string{}},
		{"% in city is literal", url.Values{"city": {"%dam"}}, []string{}},
		{"q and city together", url.Values{"q": {"boer"}, "city": {"utr"}}, []string{"anna2"}},
		{"empty filters are no filters", url.Values{"q": {""}, "city": {" "}},
			[]string{"anna", "bram", "lisa", "carl", "anna2", "pct", "under", "dirk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{h.For(t)}
			// Paging by 1 and by 2 (totals under the filter: every match once, none
			// else) and in one page give the same list.
			for _, limit := range []int{1, 2, 50} {
				if got := names(h.listAll(t, tt.query, limit), byKey); !slices.Equal(got, tt.want) {
					t.Errorf("limit %d: %v, want %v", limit, got, tt.want)
				}
			}
		})
	}
}

func TestListCustomersSort(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	byKey, keys := searchFixture(h)

	// Names and cities compare lower-cased; ties stay in registration order (anna
	// before anna2) ascending and reverse with the order descending.
	byName := []string{"pct", "anna", "anna2", "under", "bram", "carl", "dirk", "lisa"}
	byCity := []string{"lisa", "anna", "under", "dirk", "carl", "bram", "anna2", "pct"}
	byID := slices.Clone(keys)
	slices.SortFunc(byID, func(a, b string) int { return strings.Compare(byKey[a].CustomerID, byKey[b].CustomerID) })
	reversed := func(s []string) []string { r := slices.Clone(s); slices.Reverse(r); return r }

	tests := []struct {
		query url.Values
		want  []string
	}{
		{url.Values{}, keys},
		{url.Values{"sort": {"name"}}, byName},
		{url.Values{"sort": {"-name"}}, reversed(byName)},
		{url.Values{"sort": {"city"}}, byCity},
		{url.Values{"sort": {"-city"}}, reversed(byCity)},
		{url.Values{"sort": {"customerId"}}, byID},
		{url.Values{"sort": {"-customerId"}}, reversed(byID)},
		// Filter and order together, paged.
		{url.Values{"sort": {"-name"}, "city": {"amst"}}, []string{"lisa", "under", "anna"}},
		{url.Values{"sort": {"city"}, "q": {"boer"}}, []string{"anna", "anna2"}},
		{url.Values{"sort": {"-city"}, "q": {"boer"}}, []string{"anna2", "anna"}},
	}
	for _, tt := range tests {
		t.Run(tt.query.Encode(), func(t *testing.T) {
			t.Parallel()
			h := &harness{h.For(t)}
			for _, limit := range []int{1, 3, 50} {
				if got := names(h.listAll(t, tt.query, limit), byKey); !slices.Equal(got, tt.want) {
					t.Errorf("limit %d: %v, want %v", limit, got, tt.want)
				}
			}
		})
	}

	// Every item carries its version.
	var l struct {
		Items []struct {
			Name    string `json:"name"`
			Version int64  `json:"version"`
		} `json:"items"`
	}
	h.Do(http.MethodGet, "/api/customers?sort=name", nil).JSON(t, &l)
	for _, c := range l.Items {
		if c.Version != 1 {
			t.Errorf("listed %s at version %d, want 1", c.Name, c.Version)
		}
	}
}

func TestListCustomersBadSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	searchFixture(h)
	before := h.stored()

	// A cursor handed out for one order.
	var l listJSON
	h.Do(http.MethodGet, "/api/customers?sort=name&limit=1", nil).JSON(t, &l)
	if l.Next == nil {
		t.Fatal("no next page")
	}
	nameCursor := *l.Next
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	tests := []struct {
		query  url.Values
		fields []string
	}{
		{url.Values{"sort": {"nope"}}, []string{"sort"}},
		{url.Values{"sort": {"Name"}}, []string{"sort"}},
		{url.Values{"sort": {"licenseNumber"}}, []string{"sort"}},
		{url.Values{"sort": {"name; DROP TABLE customers"}}, []string{"sort"}},
		{url.Values{"q": {strings.Repeat("q", 101)}}, []string{"q"}},
		{url.Values{"q": {strings.Repeat("é", 101)}}, []string{"q"}},
		{url.Values{"q": {"a\x00b"}}, []string{"q"}},
		{url.Values{"q": {"\xff"}}, []string{"q"}},
		{url.Values{"city": {strings.Repeat("c", 101)}}, []string{"city"}},
		{url.Values{"city": {"Amster\ndam"}}, []string{"city"}},
		// A cursor belongs to its order.
		{url.Values{"cursor": {nameCursor}}, []string{"cursor"}},
		{url.Values{"cursor": {nameCursor}, "sort": {"-name"}}, []string{"cursor"}},
		{url.Values{"cursor": {nameCursor}, "sort": {"city"}}, []string{"cursor"}},
		// Forged sorted cursors.
		{url.Values{"sort": {"name"}, "cursor": {b64("c2:name:")}}, []string{"cursor"}},
		{url.Values{"sort": {"name"}, "cursor": {b64("c2:name:5")}}, []string{"cursor"}},
		{url.Values{"sort": {"name"}, "cursor": {b64("c2:name:0:x")}}, []string{"cursor"}},
		{url.Values{"sort": {"name"}, "cursor": {b64("c2:name:05:x")}}, []string{"cursor"}},
		{url.Values{"sort": {"name"}, "cursor": {b64("c2:name:5:a\x00")}}, []string{"cursor"}},
		{url.Values{"sort": {"name"}, "cursor": {b64("c2:name:5:\xff")}}, []string{"cursor"}},
		{url.Values{"sort": {"customerId"}, "cursor": {b64("c2:customerId:5:not-a-uuid")}}, []string{"cursor"}},
		// Every bad parameter is named.
		{url.Values{"sort": {"x"}, "q": {strings.Repeat("q", 101)}, "city": {strings.Repeat("c", 101)}, "limit": {"0"}},
			[]string{"sort", "q", "city", "limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.query.Encode(), func(t *testing.T) {
			t.Parallel()
			h := &harness{h.For(t)}
			p := h.Do(http.MethodGet, "/api/customers?"+tt.query.Encode(), nil).Problem(t, http.StatusBadRequest)
			servicetest.WantFields(t, p, tt.fields...)
		})
	}
	t.Cleanup(func() {
		if s := h.stored(); s != before {
			t.Errorf("bad queries stored %+v, want %+v", s, before)
		}
	})

	// A forged cursor of the right shape is only a position in the order: a 200.
	res := h.Do(http.MethodGet, "/api/customers?sort=name&cursor="+b64("c2:name:1:m"), nil)
	if res.Status != http.StatusOK {
		t.Errorf("well-formed cursor: %d %s", res.Status, res.Body)
	}
}
