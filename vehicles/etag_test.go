package vehicles_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// versioned is a vehicle answer's ETag and version.
type versioned struct {
	etag    string
	version int64
}

func (h *harness) versionOf(res servicetest.Response) versioned {
	h.T.Helper()
	var body struct {
		Version int64 `json:"version"`
	}
	res.JSON(h.T, &body)
	return versioned{etag: res.Header.Get("ETag"), version: body.Version}
}

func wantVersion(t *testing.T, what string, got versioned, version int64) {
	t.Helper()
	if want := (versioned{etag: `"` + strconv.FormatInt(version, 10) + `"`, version: version}); got != want {
		t.Errorf("%s: ETag %s, version %d; want %s and %d", what, got.etag, got.version, want.etag, want.version)
	}
}

func TestVehicleETagRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := golf()
	res := h.Do(http.MethodPost, "/api/vehicles", v)
	wantVersion(t, "registration", h.versionOf(res), 1)
	path := "/api/vehicles/" + v.LicenseNumber

	// The idempotent replay answers the stored version.
	wantVersion(t, "replay", h.versionOf(h.Do(http.MethodPost, "/api/vehicles", v)), 1)

	got := h.versionOf(h.Get(path))
	wantVersion(t, "GET", got, 1)
	wantVersion(t, "GET in lower case", h.versionOf(h.Get("/api/vehicles/ab-123-c")), 1)

	// A PUT with the ETag read stores and answers the next one.
	v.Type = "Golf GTI"
	res = h.Do(http.MethodPut, path, v, "If-Match", got.etag)
	if res.Status != http.StatusOK {
		t.Fatalf("PUT with the current ETag: %d %s", res.Status, res.Body)
	}
	wantVersion(t, "PUT", h.versionOf(res), 2)
	wantVersion(t, "GET after PUT", h.versionOf(h.Get(path)), 2)

	// The same data again store nothing and keep the version.
	wantVersion(t, "unchanged PUT", h.versionOf(h.Do(http.MethodPut, path, v, "If-Match", `"2"`)), 2)

	// If-Match: * and a list holding the current tag match; so does no If-Match
	// (unconditional).
	v.OwnerID = ownerBram
	wantVersion(t, "If-Match *", h.versionOf(h.Do(http.MethodPut, path, v, "If-Match", "*")), 3)
	v.Brand = "VW"
	wantVersion(t, "If-Match list", h.versionOf(h.Do(http.MethodPut, path, v, "If-Match", `"1", W/"3", "3"`)), 4)
	v.Type = "Golf R"
	wantVersion(t, "no If-Match", h.versionOf(h.Do(http.MethodPut, path, v)), 5)

	if s := h.stored(); s != (stored{1, 5}) {
		t.Errorf("stored %+v, want 1 vehicle and 5 events", s)
	}
	if n := h.QueryInt(`SELECT version FROM vehicles WHERE license_number = 'AB-123-C'`); n != 5 {
		t.Errorf("stored version %d, want 5", n)
	}
}

func TestVehicleStaleIfMatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())
	path := "/api/vehicles/" + v.LicenseNumber
	// Someone else changes the vehicle after we read version 1.
	other := golf()
	other.Type = "Polo"
	wantVersion(t, "other's PUT", h.versionOf(h.Do(http.MethodPut, path, other, "If-Match", `"1"`)), 2)
	var before vehicleJSON
	h.Get(path).JSON(t, &before)

	mine := golf()
	mine.OwnerID = ownerBram
	for _, ifMatch := range []string{`"1"`, `W/"2"`, `"3"`, `"02"`, `"abc"`, `"1", "3"`} {
		t.Run(ifMatch, func(t *testing.T) {
			h := &harness{h.For(t)}
			p := h.Do(http.MethodPut, path, mine, "If-Match", ifMatch).Problem(t, http.StatusPreconditionFailed)
			if p.Title != "Vehicle changed since it was read" || p.Type != "https://pitstop.example/problems/stale-vehicle" {
				t.Errorf("problem %+v", p)
			}
			var after vehicleJSON
			h.Get(path).JSON(t, &after)
			if after != before {
				t.Errorf("stale PUT changed the vehicle to %+v", after)
			}
			if s := h.stored(); s != (stored{1, 2}) {
				t.Errorf("stale PUT stored %+v, want no new event", s)
			}
			wantVersion(t, "after the stale PUT", h.versionOf(h.Get(path)), 2)
		})
	}

	// A malformed If-Match is a 400 naming the header; nothing stored.
	for _, ifMatch := range []string{"2", `"2`, `W/2`, `*, "2"`, ",", `"a b"`} {
		t.Run("malformed "+ifMatch, func(t *testing.T) {
			h := &harness{h.For(t)}
			p := h.Do(http.MethodPut, path, mine, "If-Match", ifMatch).Problem(t, http.StatusBadRequest)
			servicetest.WantFields(t, p, "If-Match")
			if s := h.stored(); s != (stored{1, 2}) {
				t.Errorf("malformed If-Match stored %+v", s)
			}
		})
	}

	// An unknown vehicle is 404 whatever If-Match says.
	unknown := mine
	unknown.LicenseNumber = "ZZ-99-ZZ"
	for _, ifMatch := range []string{`"1"`, "*"} {
		h.Do(http.MethodPut, "/api/vehicles/ZZ-99-ZZ", unknown, "If-Match", ifMatch).Problem(t, http.StatusNotFound)
	}
}

func TestVehicleConcurrentPutsWithOneETag(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())
	path := "/api/vehicles/" + v.LicenseNumber
	etag := h.Get(path).Header.Get("ETag")

	// Eight clients read the same version and write different types: exactly one
	// wins, the others are told the vehicle changed, and one event is recorded.
	const n = 8
	statuses := make(chan int, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			u := golf()
			u.Type = "Type " + strconv.Itoa(i)
			<-start
			res, err := h.Try(http.MethodPut, path, u, "If-Match", etag)
			if err != nil {
				t.Error(err)
				statuses <- 0
				return
			}
			statuses <- res.Status
		}()
	}
	close(start)
	count := map[int]int{}
	for range n {
		count[<-statuses]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusPreconditionFailed] != n-1 {
		t.Errorf("statuses %v, want one 200 and %d 412", count, n-1)
	}
	if s := h.stored(); s != (stored{1, 2}) {
		t.Errorf("stored %+v, want the registration and one update event", s)
	}
	wantVersion(t, "after the race", h.versionOf(h.Get(path)), 2)
}
