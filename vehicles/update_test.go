package vehicles_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

func TestUpdateVehicle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())

	// The address is case-insensitive, like GET.
	changed := vehicleJSON{Brand: " Volkswagen ", Type: "Golf Variant", OwnerID: ownerBram}
	res := h.Do(http.MethodPut, "/api/vehicles/ab-123-c", changed)
	if res.Status != http.StatusOK {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	want := vehicleJSON{LicenseNumber: v.LicenseNumber, Brand: "Volkswagen", Type: "Golf Variant", OwnerID: ownerBram}
	var got vehicleJSON
	res.JSON(t, &got)
	if got != want {
		t.Errorf("update answered %+v, want %+v", got, want)
	}
	var fetched vehicleJSON
	h.Do(http.MethodGet, "/api/vehicles/AB-123-C", nil).JSON(t, &fetched)
	if fetched != want {
		t.Errorf("after update get = %+v, want %+v", fetched, want)
	}

	rows := h.OutboxRows()
	if len(rows) != 2 {
		t.Fatalf("outbox has %d rows, want registered + updated", len(rows))
	}
	up := rows[1]
	if up.EventType != "pitstop.vehicles.VehicleUpdated" || up.Subject != "AB-123-C" || up.EventID == rows[0].EventID {
		t.Errorf("update event %+v", up)
	}
	var body map[string]any
	if err := json.Unmarshal(up.Payload, &body); err != nil {
		t.Fatal(err)
	}
	wantBody := map[string]any{"licenseNumber": "AB-123-C", "brand": "Volkswagen", "type": "Golf Variant", "ownerId": ownerBram}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("VehicleUpdated body = %v, want %v", body, wantBody)
	}

	// The same data again (with the licence number repeated in the body, in another
	// case, and padded text) changes nothing and publishes nothing.
	same := vehicleJSON{LicenseNumber: "Ab-123-C", Brand: "Volkswagen  ", Type: "Golf Variant", OwnerID: strings.ToUpper(ownerBram)}
	res = h.Do(http.MethodPut, "/api/vehicles/AB-123-C", same)
	if res.Status != http.StatusOK {
		t.Fatalf("same update: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &got)
	if got != want {
		t.Errorf("same update answered %+v, want %+v", got, want)
	}
	if s := h.stored(); s != (stored{1, 2}) {
		t.Errorf("unchanged update stored %+v, want 1 vehicle and still 2 events", s)
	}
}

func TestUpdateVehicleRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())
	path := "/api/vehicles/" + v.LicenseNumber
	with := func(f func(*vehicleJSON)) vehicleJSON { v := golf(); f(&v); return v }

	tests := []struct {
		name    string
		path    string
		body    any
		headers []string
		status  int
		fields  []string
	}{
		{name: "unknown licence", path: "/api/vehicles/AB-123-D",
			body: with(func(v *vehicleJSON) { v.LicenseNumber = "ab-123-d" }), status: 404},
		{name: "unknown licence, not repeated", path: "/api/vehicles/ab-123-d",
			body: with(func(v *vehicleJSON) { v.LicenseNumber = "" }), status: 404},
		{name: "not a licence number", path: "/api/vehicles/ABCD-1-2", body: golf(), status: 404},
		{name: "not a licence number, bad body", path: "/api/vehicles/AB_12_C", body: `{`, status: 404},
		{name: "malformed JSON", path: path, body: `{"brand":`, status: 400},
		{name: "empty body", path: path, body: ``, status: 400},
		{name: "wrong type", path: path, body: `{"type": ["Golf"]}`, status: 400, fields: []string{"type"}},
		{name: "ownerId is a number", path: path, body: `{"ownerId": 42}`, status: 400, fields: []string{"ownerId"}},
		{name: "missing fields are all listed", path: path, body: `{"brand": "VW"}`, status: 400,
			fields: []string{"type", "ownerId"}},
		{name: "bad owner", path: path, body: with(func(v *vehicleJSON) { v.OwnerID = "bram" }),
			status: 400, fields: []string{"ownerId"}},
		{name: "too long", path: path, body: with(func(v *vehicleJSON) { v.Type = strings.Repeat("t", 101) }),
			status: 400, fields: []string{"type"}},
		{name: "different licence in body", path: path,
			body:   with(func(v *vehicleJSON) { v.LicenseNumber = "XY-1-Z"; v.Brand = "" }),
			status: 400, fields: []string{"licenseNumber", "brand"}},
		{name: "invalid licence in body", path: path, body: with(func(v *vehicleJSON) { v.LicenseNumber = "nope" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "wrong content type", path: path, body: golf(), headers: []string{"Content-Type", "text/xml"}, status: 415},
		{name: "oversized", path: path, body: with(func(v *vehicleJSON) { v.Brand = strings.Repeat("b", maxBody) }), status: 413},
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
			var got vehicleJSON
			h.Do(http.MethodGet, path, nil).JSON(t, &got)
			if got != v {
				t.Errorf("rejected update changed the vehicle: %+v", got)
			}
		})
	}
}

func TestUpdateVehicleConcurrent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())
	// Concurrent updates to different values: each changed something and recorded
	// exactly one event, and the last event describes the stored state.
	const n = 8
	done := make(chan int, n)
	for i := range n {
		go func() {
			u := golf()
			u.Type = "Type " + string(rune('A'+i))
			res, err := h.Try(http.MethodPut, "/api/vehicles/"+v.LicenseNumber, u)
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
		t.Errorf("stored %+v, want 1 vehicle and %d events", s, 1+n)
	}
	rows := h.OutboxRows()
	var last vehicleJSON
	if err := json.Unmarshal(rows[len(rows)-1].Payload, &last); err != nil {
		t.Fatal(err)
	}
	var got vehicleJSON
	h.Do(http.MethodGet, "/api/vehicles/"+v.LicenseNumber, nil).JSON(t, &got)
	if got != last {
		t.Errorf("stored %+v, but the last event says %+v", got, last)
	}
}
