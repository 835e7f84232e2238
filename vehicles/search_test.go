package vehicles_test

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

// searchFixture registers vehicles whose licence numbers, brands, types and owners
// exercise the filters and the orders; it returns their licence numbers in
// registration order.
func searchFixture(h *harness) []string {
	h.T.Helper()
	vs := []vehicleJSON{
		{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerLisa},
		{LicenseNumber: "9-xyz-99", Brand: "fiat", Type: "Panda", OwnerID: ownerBram},
		{LicenseNumber: "GH-45-JK", Brand: "Volkswagen", Type: "Polo", OwnerID: ownerBram},
		{LicenseNumber: "12-AB-34", Brand: "Audi", Type: "A4_Avant", OwnerID: ownerLisa},
		{LicenseNumber: "ZZ-1-A", Brand: "Fiat", Type: "500 100%", OwnerID: ownerLisa},
		{LicenseNumber: "X-2-Y", Brand: "Abarth", Type: "595 Golfo", OwnerID: ownerBram},
	}
	var out []string
	for _, v := range vs {
		out = append(out, h.register(v).LicenseNumber)
	}
	return out
}

// listAll follows next from the first page of query with pages of limit, requiring
// full pages until the last, and returns the licence numbers in order.
func (h *harness) listAll(t *testing.T, query url.Values, limit int) []string {
	t.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(limit))
	out := []string{}
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("paging does not end")
		}
		res := h.Do(http.MethodGet, "/api/vehicles?"+q.Encode(), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", q.Encode(), res.Status, res.Body)
		}
		var l listJSON
		res.JSON(t, &l)
		for _, v := range l.Items {
			out = append(out, v.LicenseNumber)
		}
		if l.Next == nil {
			return out
		}
		if len(l.Items) != limit {
			t.Errorf("page %d of %s has %d items before the last, want %d", page, q.Encode(), len(l.Items), limit)
		}
		q.Set("cursor", *l.Next)
	}
}

func TestListVehiclesSearchAndSort(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	all := searchFixture(h) // AB-123-C 9-XYZ-99 GH-45-JK 12-AB-34 ZZ-1-A X-2-Y

	// Licence numbers compare as stored (upper-cased); brands lower-cased, ties in
	// registration order.
	byLicense := slices.Sorted(slices.Values(all))
	byBrand := []string{"X-2-Y", "12-AB-34", "9-XYZ-99", "ZZ-1-A", "AB-123-C", "GH-45-JK"}
	reversed := func(s []string) []string { r := slices.Clone(s); slices.Reverse(r); return r }

	tests := []struct {
		query url.Values
		want  []string
	}{
		{url.Values{}, all},
		// q: licence number in any case, dashes included.
		{url.Values{"q": {"ab-1"}}, []string{"AB-123-C"}},
		{url.Values{"q": {"xYz"}}, []string{"9-XYZ-99"}},
		{url.Values{"q": {"-AB-"}}, []string{"12-AB-34"}},
		// q: brand and type ignoring case; one q matches any of the three.
		{url.Values{"q": {"FIAT"}}, []string{"9-XYZ-99", "ZZ-1-A"}},
		{url.Values{"q": {"golf"}}, []string{"AB-123-C", "X-2-Y"}},
		{url.Values{"q": {"ab"}}, []string{"AB-123-C", "12-AB-34", "X-2-Y"}},
		// Wildcards and the escape character are literal; injection is data.
		{url.Values{"q": {"%"}}, []string{"ZZ-1-A"}},
		{url.Values{"q": {"4_"}}, []string{"12-AB-34"}},
		{url.Values{"q": {`\`}}, []string{}},
		{url.Values{"q": {"' OR 1=1 --"}}, []string{}},
		// ownerId with q and with sorts.
		{url.Values{"ownerId": {ownerBram}}, []string{"9-XYZ-99", "GH-45-JK", "X-2-Y"}},
		{url.Values{"ownerId": {ownerBram}, "q": {"o"}}, []string{"GH-45-JK", "X-2-Y"}},
		{url.Values{"ownerId": {ownerLisa}, "sort": {"-brand"}}, []string{"AB-123-C", "ZZ-1-A", "12-AB-34"}},
		// Every order both ways, also under a filter.
		{url.Values{"sort": {"licenseNumber"}}, byLicense},
		{url.Values{"sort": {"-licenseNumber"}}, reversed(byLicense)},
		{url.Values{"sort": {"brand"}}, byBrand},
		{url.Values{"sort": {"-brand"}}, reversed(byBrand)},
		{url.Values{"sort": {"-licenseNumber"}, "q": {"fiat"}}, []string{"ZZ-1-A", "9-XYZ-99"}},
		{url.Values{"sort": {"brand"}, "q": {"vOlKs"}}, []string{"AB-123-C", "GH-45-JK"}},
	}
	for _, tt := range tests {
		t.Run(tt.query.Encode(), func(t *testing.T) {
			t.Parallel()
			h := &harness{h.For(t)}
			for _, limit := range []int{1, 2, 50} {
				if got := h.listAll(t, tt.query, limit); !slices.Equal(got, tt.want) {
					t.Errorf("limit %d: %v, want %v", limit, got, tt.want)
				}
			}
		})
	}

	// Every item carries its version.
	var l struct {
		Items []struct {
			Version int64 `json:"version"`
		} `json:"items"`
	}
	h.Do(http.MethodGet, "/api/vehicles?sort=brand", nil).JSON(t, &l)
	for _, v := range l.Items {
		if v.Version != 1 {
			t.Errorf("listed version %d, want 1", v.Version)
		}
	}
}

func TestListVehiclesBadSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	searchFixture(h)
	before := h.stored()

	var l listJSON
	h.Do(http.MethodGet, "/api/vehicles?sort=brand&limit=1", nil).JSON(t, &l)
	if l.Next == nil {
		t.Fatal("no next page")
	}
	brandCursor := *l.Next
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	tests := []struct {
		query  url.Values
		fields []string
	}{
		{url.Values{"sort": {"name"}}, []string{"sort"}},
		{url.Values{"sort": {"LicenseNumber"}}, []string{"sort"}},
		{url.Values{"sort": {"brand,licenseNumber"}}, []string{"sort"}},
		{url.Values{"q": {strings.Repeat("q", 101)}}, []string{"q"}},
		{url.Values{"q": {"a\x00b"}}, []string{"q"}},
		{url.Values{"q": {"\xff"}}, []string{"q"}},
		{url.Values{"cursor": {brandCursor}}, []string{"cursor"}},
		{url.Values{"cursor": {brandCursor}, "sort": {"-brand"}}, []string{"cursor"}},
		{url.Values{"cursor": {brandCursor}, "sort": {"licenseNumber"}}, []string{"cursor"}},
		{url.Values{"sort": {"brand"}, "cursor": {b64("v2:brand:5")}}, []string{"cursor"}},
		{url.Values{"sort": {"brand"}, "cursor": {b64("v2:brand:x:audi")}}, []string{"cursor"}},
		{url.Values{"sort": {"licenseNumber"}, "cursor": {b64("v2:licenseNumber:5:\x00")}}, []string{"cursor"}},
		{url.Values{"sort": {"x"}, "q": {strings.Repeat("q", 101)}, "ownerId": {"nope"}, "limit": {"0"}},
			[]string{"sort", "q", "ownerId", "limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.query.Encode(), func(t *testing.T) {
			t.Parallel()
			h := &harness{h.For(t)}
			p := h.Do(http.MethodGet, "/api/vehicles?"+tt.query.Encode(), nil).Problem(t, http.StatusBadRequest)
			servicetest.WantFields(t, p, tt.fields...)
		})
	}
	t.Cleanup(func() {
		if s := h.stored(); s != before {
			t.Errorf("bad queries stored %+v, want %+v", s, before)
		}
	})
}
