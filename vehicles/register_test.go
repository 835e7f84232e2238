package vehicles_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

func TestRegisterVehicle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)

	in := vehicleJSON{LicenseNumber: "ab-123-c", Brand: " Volkswagen ", Type: "Golf\t", OwnerID: strings.ToUpper(ownerLisa)}
	res := h.Do(http.MethodPost, "/api/vehicles", in)
	if res.Status != http.StatusCreated {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	var got vehicleJSON
	res.JSON(t, &got)
	want := golf() // upper-cased licence, trimmed text, canonical owner id
	if got != want {
		t.Errorf("body = %+v, want %+v", got, want)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	if loc := res.Header.Get("Location"); loc != "/api/vehicles/AB-123-C" {
		t.Errorf("Location = %q", loc)
	}

	// The resource is where Location says, with the same representation.
	res = h.Do(http.MethodGet, res.Header.Get("Location"), nil)
	if res.Status != http.StatusOK {
		t.Fatalf("get: %d %s", res.Status, res.Body)
	}
	var fetched vehicleJSON
	res.JSON(t, &fetched)
	if fetched != want {
		t.Errorf("get = %+v, want %+v", fetched, want)
	}

	// Exactly one VehicleRegistered row in the outbox, with every camelCase field.
	rows := h.OutboxRows()
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1", len(rows))
	}
	row := rows[0]
	if row.EventType != "pitstop.vehicles.VehicleRegistered" {
		t.Errorf("event type = %q", row.EventType)
	}
	if row.Source != vehicleevents.Source || row.Subject != "AB-123-C" {
		t.Errorf("source %q subject %q", row.Source, row.Subject)
	}
	if _, err := uuid.Parse(row.EventID); err != nil {
		t.Errorf("event id %q: %v", row.EventID, err)
	}
	var body map[string]any
	if err := json.Unmarshal(row.Payload, &body); err != nil {
		t.Fatalf("payload %s: %v", row.Payload, err)
	}
	wantBody := map[string]any{"licenseNumber": "AB-123-C", "brand": "Volkswagen", "type": "Golf", "ownerId": ownerLisa}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("event body = %v, want %v", body, wantBody)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("stored %+v, want 1 vehicle, 1 event", s)
	}
}

func TestRegisterVehicleIdempotentRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	in := golf()
	first := h.Do(http.MethodPost, "/api/vehicles", in)
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}

	// Same licence, same body: the existing resource, 200, nothing new stored. The
	// licence number in another case and padded text are the same registration.
	retries := []vehicleJSON{
		in,
		{LicenseNumber: "ab-123-c", Brand: in.Brand, Type: in.Type, OwnerID: in.OwnerID},
		{LicenseNumber: in.LicenseNumber, Brand: "  " + in.Brand, Type: in.Type + " ", OwnerID: strings.ToUpper(in.OwnerID)},
	}
	for _, r := range retries {
		again := h.Do(http.MethodPost, "/api/vehicles", r)
		if again.Status != http.StatusOK {
			t.Fatalf("retry %+v: %d %s", r, again.Status, again.Body)
		}
		if string(again.Body) != string(first.Body) || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Errorf("retry answered %s at %q, first %s at %q", again.Body, again.Header.Get("Location"),
				first.Body, first.Header.Get("Location"))
		}
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("after retries stored %+v, want 1 vehicle and 1 event", s)
	}

	// Same licence, different body: 409 and nothing changes.
	for _, other := range []vehicleJSON{
		{LicenseNumber: "ab-123-c", Brand: "Volkswagen", Type: "Polo", OwnerID: ownerLisa},
		{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerBram},
		{LicenseNumber: "AB-123-C", Brand: "Volkswagen AG", Type: "Golf", OwnerID: ownerLisa},
	} {
		p := h.Do(http.MethodPost, "/api/vehicles", other).Problem(t, http.StatusConflict)
		if !strings.Contains(p.Detail, "different data") {
			t.Errorf("conflict detail %q", p.Detail)
		}
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("after conflicts stored %+v, want 1 vehicle and 1 event", s)
	}
	var got vehicleJSON
	h.Do(http.MethodGet, "/api/vehicles/AB-123-C", nil).JSON(t, &got)
	if got != golf() {
		t.Errorf("conflicting registration changed the vehicle: %+v", got)
	}
}

func TestRegisterVehicleConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	const n = 12

	post := func(bodies []vehicleJSON) map[int]int {
		var (
			mu       sync.Mutex
			statuses = map[int]int{}
			wg       sync.WaitGroup
			start    = make(chan struct{})
		)
		for _, b := range bodies {
			wg.Go(func() {
				<-start
				res, err := h.Try(http.MethodPost, "/api/vehicles", b)
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

	// The same registration retried concurrently (in mixed case): one creates, the
	// others see it; none is a 500.
	bodies := make([]vehicleJSON, n)
	for i := range bodies {
		bodies[i] = golf()
		if i%2 == 1 {
			bodies[i].LicenseNumber = "ab-123-c"
		}
	}
	if got, want := post(bodies), map[int]int{201: 1, 200: n - 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("same body: statuses %v, want %v", got, want)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("stored %+v, want 1 vehicle and 1 event", s)
	}

	// Different vehicles racing for one licence number: one wins, the others conflict.
	for i := range bodies {
		bodies[i] = vehicleJSON{LicenseNumber: "XY-99-Z", Brand: "Brand " + string(rune('A'+i)), Type: "T", OwnerID: ownerBram}
	}
	if got, want := post(bodies), map[int]int{201: 1, 409: n - 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("different bodies: statuses %v, want %v", got, want)
	}
	if s := h.stored(); s != (stored{2, 2}) {
		t.Errorf("stored %+v, want 2 vehicles and 2 events", s)
	}
}

func TestRegisterVehicleRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)

	long := func(n int) string { return strings.Repeat("x", n) }
	with := func(f func(*vehicleJSON)) vehicleJSON { v := golf(); f(&v); return v }
	all := []string{"licenseNumber", "brand", "type", "ownerId"}
	tests := []struct {
		name    string
		body    any
		headers []string
		status  int
		fields  []string // nil: no field list expected
	}{
		{name: "malformed JSON", body: `{"licenseNumber": "AB-123-C",`, status: 400},
		{name: "not JSON at all", body: `licenseNumber=AB-123-C`, status: 400},
		{name: "empty body", body: ``, status: 400},
		{name: "two JSON values", body: `{"brand":"a"} {"brand":"b"}`, status: 400},
		{name: "top-level array", body: `[{"brand":"VW"}]`, status: 400},
		{name: "top-level string", body: `"AB-123-C"`, status: 400},
		{name: "top-level null", body: `null`, status: 400, fields: all},
		{name: "missing fields are all listed", body: `{}`, status: 400, fields: all},
		{name: "null and blank fields", body: `{"licenseNumber": null, "brand": "  ", "type": "Golf", "ownerId": "` + ownerLisa + `"}`,
			status: 400, fields: []string{"licenseNumber", "brand"}},
		{name: "licenseNumber is a number", body: `{"licenseNumber": 123, "brand": "VW", "type": "Golf", "ownerId": "` + ownerLisa + `"}`,
			status: 400, fields: []string{"licenseNumber"}},
		{name: "brand is an array", body: `{"brand": ["VW"]}`, status: 400, fields: []string{"brand"}},
		{name: "ownerId is an object", body: `{"ownerId": {"id": 1}}`, status: 400, fields: []string{"ownerId"}},
		{name: "type is a boolean", body: `{"type": true}`, status: 400, fields: []string{"type"}},
		{name: "licence with four letters", body: with(func(v *vehicleJSON) { v.LicenseNumber = "ABCD-1-2" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "licence with underscores", body: with(func(v *vehicleJSON) { v.LicenseNumber = "AB_12_C" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "licence with four groups", body: with(func(v *vehicleJSON) { v.LicenseNumber = "AB-12-C-1" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "licence with mixed group", body: with(func(v *vehicleJSON) { v.LicenseNumber = "A1-12-C" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "licence with Kelvin sign", body: with(func(v *vehicleJSON) { v.LicenseNumber = "AB-12-\u212a" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "licence with injection", body: with(func(v *vehicleJSON) { v.LicenseNumber = "'; DROP TABLE vehicles; --" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "empty licence", body: with(func(v *vehicleJSON) { v.LicenseNumber = "" }),
			status: 400, fields: []string{"licenseNumber"}},
		{name: "owner not a UUID", body: with(func(v *vehicleJSON) { v.OwnerID = "lisa" }),
			status: 400, fields: []string{"ownerId"}},
		{name: "owner nil UUID", body: with(func(v *vehicleJSON) { v.OwnerID = uuid.Nil.String() }),
			status: 400, fields: []string{"ownerId"}},
		{name: "fields too long", body: with(func(v *vehicleJSON) { v.Brand = long(101); v.Type = long(101) }),
			status: 400, fields: []string{"brand", "type"}},
		{name: "control characters", body: with(func(v *vehicleJSON) { v.Brand = "V\x00W"; v.Type = "Golf\r\nX" }),
			status: 400, fields: []string{"brand", "type"}},
		{name: "several invalid fields", body: vehicleJSON{LicenseNumber: "1234-A-B", Brand: "", Type: "Golf", OwnerID: "x"},
			status: 400, fields: []string{"licenseNumber", "brand", "ownerId"}},
		{name: "wrong content type", body: golf(), headers: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "form content type", body: `brand=VW`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "oversized body", body: with(func(v *vehicleJSON) { v.Brand = long(maxBody) }), status: 413},
		{name: "oversized chunked body", body: io.MultiReader(strings.NewReader(`{"brand":"`),
			strings.NewReader(long(maxBody)), strings.NewReader(`"}`)), status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case checks that the shared database stays empty.
			res := h.Do(http.MethodPost, "/api/vehicles", tt.body, tt.headers...)
			p := res.Problem(t, tt.status)
			if tt.fields != nil {
				servicetest.WantFields(t, p, tt.fields...)
			} else if len(p.Errors) > 0 && tt.status != 400 {
				t.Errorf("unexpected field errors %+v", p.Errors)
			}
			if s := h.stored(); s != (stored{}) {
				t.Errorf("rejected request stored %+v", s)
			}
		})
	}
}
