package vehicles_test

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
	Items []vehicleJSON `json:"items"`
	Next  *string       `json:"next"`
}

func TestGetVehicle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())
	other := h.register(vehicleJSON{LicenseNumber: "1-XYZ-99", Brand: "Fiat", Type: "Panda", OwnerID: ownerBram})

	// The lookup is case-insensitive.
	for _, path := range []string{"/api/vehicles/AB-123-C", "/api/vehicles/ab-123-c", "/api/vehicles/Ab-123-c"} {
		res := h.Do(http.MethodGet, path, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		var got vehicleJSON
		res.JSON(t, &got)
		if got != v {
			t.Errorf("GET %s = %+v, want %+v", path, got, v)
		}
	}
	var got vehicleJSON
	h.Do(http.MethodGet, "/api/vehicles/1-xyz-99", nil).JSON(t, &got)
	if got != other {
		t.Errorf("second vehicle %+v, want %+v", got, other)
	}

	for _, path := range []string{
		"/api/vehicles/AB-123-D",    // unknown
		"/api/vehicles/ABCD-1-2",    // not a licence number: cannot name a vehicle, 404 as well
		"/api/vehicles/AB_123_C",    // ditto
		"/api/vehicles/AB-123-C%20", // trailing space
		"/api/vehicles/%27%20OR%201=1--",
		"/api/vehicles/AB-123-%E2%84%AA", // Kelvin sign
	} {
		p := h.Do(http.MethodGet, path, nil).Problem(t, http.StatusNotFound)
		if p.Detail != "vehicle not found" {
			t.Errorf("GET %s: detail %q", path, p.Detail)
		}
	}
}

func TestListVehiclesPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)

	// An empty list is an empty array, not null, and has no next page.
	res := h.Do(http.MethodGet, "/api/vehicles", nil)
	if res.Status != http.StatusOK || string(res.Body) != "{\"items\":[]}\n" {
		t.Fatalf("empty list: %d %s", res.Status, res.Body)
	}

	const n = 7
	var registered []vehicleJSON
	for i := range n {
		v := vehicleJSON{LicenseNumber: fmt.Sprintf("AB-%d-C", 10-i), Brand: "Brand", Type: fmt.Sprintf("Type %d", i), OwnerID: ownerLisa}
		// Injection attempts are data, stored and returned literally.
		if i == 3 {
			v.Brand = "Robert'); DROP TABLE vehicles;--"
		}
		registered = append(registered, h.register(v))
	}

	// Pages of 3 across cursors: 3, 3, 1, in registration order, no next on the last.
	var (
		all    []vehicleJSON
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
		res := h.Do(http.MethodGet, "/api/vehicles?"+q.Encode(), nil)
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
	for _, path := range []string{"/api/vehicles", "/api/vehicles?limit=7", "/api/vehicles?limit=200"} {
		var l listJSON
		h.Do(http.MethodGet, path, nil).JSON(t, &l)
		if len(l.Items) != n || l.Next != nil {
			t.Errorf("%s: %d items, next %v", path, len(l.Items), l.Next)
		}
	}
	// limit=6 leaves one for a second page.
	var l listJSON
	h.Do(http.MethodGet, "/api/vehicles?limit=6", nil).JSON(t, &l)
	if len(l.Items) != 6 || l.Next == nil {
		t.Fatalf("limit=6: %d items, next %v", len(l.Items), l.Next)
	}
	var rest listJSON
	h.Do(http.MethodGet, "/api/vehicles?limit=6&cursor="+url.QueryEscape(*l.Next), nil).JSON(t, &rest)
	if len(rest.Items) != 1 || rest.Items[0] != registered[6] || rest.Next != nil {
		t.Errorf("second page %+v", rest)
	}
}

func TestListVehiclesDefaultLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	// 51 vehicles: the default page holds 50 and points at the 51st.
	if _, err := h.Pool.Exec(t.Context(), `INSERT INTO vehicles (license_number, brand, type, owner_id)
		SELECT 'AA-' || i || '-B', 'Brand', 'Type', $1 FROM generate_series(1, 51) AS i`, ownerLisa); err != nil {
		t.Fatal(err)
	}
	var first listJSON
	h.Do(http.MethodGet, "/api/vehicles", nil).JSON(t, &first)
	if len(first.Items) != 50 || first.Next == nil {
		t.Fatalf("default page: %d items, next %v", len(first.Items), first.Next)
	}
	var second listJSON
	h.Do(http.MethodGet, "/api/vehicles?cursor="+url.QueryEscape(*first.Next), nil).JSON(t, &second)
	if len(second.Items) != 1 || second.Items[0].LicenseNumber != "AA-51-B" || second.Next != nil {
		t.Errorf("second page %+v", second)
	}
}

func TestListVehiclesByOwner(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	var lisas, brams []vehicleJSON
	for i := range 5 {
		owner := ownerLisa
		if i%2 == 1 {
			owner = ownerBram
		}
		v := h.register(vehicleJSON{LicenseNumber: fmt.Sprintf("XX-%d-YY", i), Brand: "B", Type: "T", OwnerID: owner})
		if owner == ownerLisa {
			lisas = append(lisas, v)
		} else {
			brams = append(brams, v)
		}
	}
	page := func(query string) listJSON {
		t.Helper()
		res := h.Do(http.MethodGet, "/api/vehicles?"+query, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", query, res.Status, res.Body)
		}
		var l listJSON
		res.JSON(t, &l)
		return l
	}

	if l := page("ownerId=" + ownerBram); fmt.Sprint(l.Items) != fmt.Sprint(brams) || l.Next != nil {
		t.Errorf("bram's vehicles %+v, want %+v", l, brams)
	}
	// Any UUID spelling filters the same; pages follow the filter.
	p1 := page("limit=2&ownerId=" + url.QueryEscape("{"+ownerLisa+"}"))
	if len(p1.Items) != 2 || p1.Next == nil {
		t.Fatalf("lisa's first page %+v", p1)
	}
	p2 := page("limit=2&ownerId=" + ownerLisa + "&cursor=" + url.QueryEscape(*p1.Next))
	if got := append(p1.Items, p2.Items...); fmt.Sprint(got) != fmt.Sprint(lisas) || p2.Next != nil {
		t.Errorf("lisa's vehicles %v (next %v), want %v", got, p2.Next, lisas)
	}
	if l := page("ownerId=" + uuid.NewString()); len(l.Items) != 0 || l.Next != nil {
		t.Errorf("unknown owner: %+v", l)
	}
	// An empty filter is no filter.
	if l := page("ownerId="); len(l.Items) != 5 {
		t.Errorf("empty ownerId: %d items", len(l.Items))
	}
}

func TestListVehiclesBadQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.register(golf())
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		query  string
		fields []string
	}{
		{"limit=0", []string{"limit"}},
		{"limit=-1", []string{"limit"}},
		{"limit=201", []string{"limit"}},
		{"limit=abc", []string{"limit"}},
		{"limit=1.5", []string{"limit"}},
		{"limit=99999999999999999999", []string{"limit"}},
		{"cursor=garbage!", []string{"cursor"}},
		{"cursor=" + b64("v1:abc"), []string{"cursor"}},
		{"cursor=" + b64("v1:-5"), []string{"cursor"}},
		{"cursor=" + b64("v1:0"), []string{"cursor"}},
		{"cursor=" + b64("v1:007"), []string{"cursor"}},
		{"cursor=" + b64("v1:99999999999999999999"), []string{"cursor"}},
		{"cursor=" + b64("c1:5"), []string{"cursor"}},
		{"cursor=" + url.QueryEscape("' OR 1=1 --"), []string{"cursor"}},
		{"ownerId=lisa", []string{"ownerId"}},
		{"ownerId=" + uuid.Nil.String(), []string{"ownerId"}},
		{"ownerId=" + url.QueryEscape(ownerLisa+"' OR '1'='1"), []string{"ownerId"}},
		{"limit=0&cursor=x!&ownerId=y", []string{"limit", "cursor", "ownerId"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			p := h.Do(http.MethodGet, "/api/vehicles?"+tt.query, nil).Problem(t, http.StatusBadRequest)
			servicetest.WantFields(t, p, tt.fields...)
		})
	}
}
