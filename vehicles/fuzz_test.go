package vehicles_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
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
		// As the front desk, whose role may register and update.
		req.Header.Set("Authorization", "Bearer "+testutil.Token(t, auth.FrontDesk))
		rec := httptest.NewRecorder()
		h.Handler.ServeHTTP(rec, req)
		after := h.stored()

		status := rec.Code
		// The front desk may call every vehicles operation; a path that leaves them
		// (/api/vehicles/../x) is nobody's but the administrator's, so 403 is right.
		rest, vehiclePath := strings.CutPrefix(path.Clean(req.URL.Path), "/api/vehicles")
		vehiclePath = vehiclePath && !strings.Contains(strings.TrimPrefix(rest, "/"), "/")
		if status == http.StatusUnauthorized || status == http.StatusForbidden && vehiclePath {
			t.Fatalf("%d: the token was refused, the input never reached the decoder: %s", status, rec.Body)
		}
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

// FuzzListVehiclesQuery drives GET /api/vehicles with arbitrary q, ownerId, sort,
// cursor and limit: the answer is a 200 page or a 400 problem, never a 5xx (a value
// that reaches Postgres, a cursor's key included, must be one it can hold), and a
// list stores nothing.
//
//	go test ./vehicles -run '^$' -fuzz FuzzListVehiclesQuery
func FuzzListVehiclesQuery(f *testing.F) {
	for _, seed := range [][5]string{
		{"", "", "", "", ""},
		{"ab-1", ownerLisa, "brand", "", "2"},
		{"%", "", "-licenseNumber", "", ""},
		{`\`, "nope", "-brand", "", ""},
		{"a\x00b", "", "brand", "", ""},
		{"' OR 1=1 --", "", "licenseNumber; DROP TABLE vehicles", "", "0"},
		{"", "", "brand", "djI6YnJhbmQ6NTphdWRp", ""}, // v2:brand:5:audi
		{"", "", "licenseNumber", "djI6bGljZW5zZU51bWJlcjo1Ong", ""},
		{"", "", "brand", "djI6YnJhbmQ6NTphAA", ""},  // v2:brand:5:a\x00
		{"", "", "-brand", "djI6LWJyYW5kOjU6_w", ""}, // v2:-brand:5:\xff
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	h := newHarness(f, nil, nil)
	h.register(golf())
	h.register(vehicleJSON{LicenseNumber: "12-AB-34", Brand: "Audi", Type: "A4_Avant", OwnerID: ownerBram})
	f.Fuzz(func(t *testing.T, q, owner, sort, cursor, limit string) {
		h := *h // the same service, reporting to this input's t (f must not be used here)
		h.T = t
		before := h.stored()
		query := url.Values{"q": {q}, "ownerId": {owner}, "sort": {sort}, "cursor": {cursor}, "limit": {limit}}
		req := httptest.NewRequest(http.MethodGet, "/api/vehicles?"+query.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+testutil.Token(t, auth.Planner))
		rec := httptest.NewRecorder()
		h.Handler.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var l listJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				t.Fatalf("200 with body %s: %v", rec.Body, err)
			}
		case http.StatusBadRequest:
			var p problem.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Errors) == 0 {
				t.Fatalf("400 without field errors: %s (%v)", rec.Body, err)
			}
		default:
			t.Fatalf("%v: status %d: %s", query, rec.Code, rec.Body)
		}
		if after := h.stored(); after != before {
			t.Fatalf("a list stored %+v -> %+v", before, after)
		}
	})
}
