package vehicles_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/problem"
)

// FuzzVehicleRequests drives POST /api/vehicles and PUT /api/vehicles/{licenseNumber}
// with arbitrary bodies and addresses through the real handler and a real database.
// Whatever the input: no panic, never a 5xx, every rejection is a problem document
// that stored nothing, and every success stored exactly what its status says.
//
// `go test` runs the seeds; `go test -fuzz FuzzVehicleRequests ./vehicles/` explores.
func FuzzVehicleRequests(f *testing.F) {
	h := newHarness(f, nil, nil)
	h.register(golf())
	seeds := []struct {
		put     bool
		license string
		body    string
	}{
		{false, "", `{"licenseNumber":"XY-12-Z","brand":"Fiat","type":"Panda","ownerId":"` + ownerBram + `"}`},
		{false, "", `{"licenseNumber":"ab-123-c","brand":"Volkswagen","type":"Golf","ownerId":"` + ownerLisa + `"}`},
		{false, "", `{"licenseNumber":"AB-123-C","brand":"Fiat","type":"Golf","ownerId":"` + ownerLisa + `"}`},
		{false, "", `{"licenseNumber":"ABCD-1-2","brand":"","type":1,"ownerId":null}`},
		{false, "", `{"licenseNumber":"AB_12_C"}`},
		{false, "", `{"licenseNumber":123}`},
		{false, "", `{"brand":{"a":[1,2,{"b":null}]}}`},
		{false, "", `[]`},
		{false, "", `null`},
		{false, "", ``},
		{false, "", `{`},
		{false, "", `{"licenseNumber":"AB-1-C"}{}`},
		{false, "", `{"licenseNumber":"\u0000-1-C","brand":"\ud800"}`},
		{false, "", `{"licenseNumber":"AB-1-\u212a","brand":"b","type":"t","ownerId":"` + ownerLisa + `"}`},
		{false, "", `{"brand":"` + strings.Repeat("x", maxBody) + `"}`},
		{false, "", `{"ownerId":"urn:uuid:` + ownerLisa + `","brand":"b","type":"t","licenseNumber":"1-2-3"}`},
		{true, "AB-123-C", `{"brand":"Volkswagen","type":"Polo","ownerId":"` + ownerLisa + `"}`},
		{true, "ab-123-c", `{"licenseNumber":"XY-1-Z","brand":"Volkswagen","type":"Polo","ownerId":"` + ownerLisa + `"}`},
		{true, "AB-123-C", `{"brand":"VW","type":["Polo"]}`},
		{true, "AB-999-C", `{"brand":"VW","type":"Polo","ownerId":"` + ownerLisa + `"}`},
		{true, "../../x", `{}`},
		{true, "AB-123-C%00", `{}`},
		{true, "'; DROP TABLE vehicles;--", `{"brand":"x"}`},
	}
	for _, s := range seeds {
		f.Add(s.put, s.license, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, put bool, license string, body []byte) {
		h := *h // the same service, reporting to this input's t (f must not be used here)
		h.T = t
		before := h.stored()
		method, target := http.MethodPost, "/api/vehicles"
		if put {
			method, target = http.MethodPut, "/api/vehicles/"+url.PathEscape(license)
		}
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.Handler.ServeHTTP(rec, req)
		after := h.stored()

		status := rec.Code
		if status >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", method, target, body, status, rec.Body)
		}
		if status >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
				t.Fatalf("%d with content type %q", status, ct)
			}
			var p problem.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != status {
				t.Fatalf("%d: problem %s (%v)", status, rec.Body, err)
			}
			if after != before {
				t.Fatalf("rejected %s %q (%d) stored %+v -> %+v", target, body, status, before, after)
			}
			return
		}
		var v vehicleJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%d: body %s: %v", status, rec.Body, err)
		}
		if v.LicenseNumber != strings.ToUpper(v.LicenseNumber) || v.Brand == "" || v.Type == "" || v.OwnerID == "" {
			t.Fatalf("%d: answered an invalid vehicle %+v", status, v)
		}
		switch {
		case status == http.StatusCreated && !put:
			if after != (stored{before.vehicles + 1, before.outbox + 1}) {
				t.Fatalf("201 stored %+v -> %+v, want one vehicle and one event more", before, after)
			}
		case status == http.StatusOK && !put:
			if after != before {
				t.Fatalf("replayed registration stored %+v -> %+v", before, after)
			}
		case status == http.StatusOK && put:
			if after.vehicles != before.vehicles || after.outbox-before.outbox > 1 {
				t.Fatalf("update stored %+v -> %+v", before, after)
			}
		default:
			t.Fatalf("%s answered %d", method, status)
		}
		// The outbox relay is not running here; keep it from growing without bound.
		if after.outbox > 1000 {
			if _, err := h.Pool.Exec(t.Context(), `DELETE FROM outbox`); err != nil {
				t.Fatal(err)
			}
		}
	})
}
