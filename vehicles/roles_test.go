package vehicles_test

import (
	"net/http"
	"testing"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestVehicleRoles checks the roles the OpenAPI document grants (x-pitstop-roles):
// every role reads, only the front desk (and the administrator) writes; a refused write
// stores nothing.
func TestVehicleRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	v := h.register(golf())
	path := "/api/vehicles/" + v.LicenseNumber
	for _, role := range []auth.Role{auth.FrontDesk, auth.Planner, auth.Mechanic} {
		for _, p := range []string{"/api/vehicles", "/api/vehicles?q=golf&sort=-brand&ownerId=" + ownerLisa, path} {
			if res := h.Do(http.MethodGet, p, nil, servicetest.As(t, role)...); res.Status != http.StatusOK {
				t.Errorf("%s GET %s: %d %s", role, p, res.Status, res.Body)
			}
		}
	}
	for _, role := range []auth.Role{auth.Planner, auth.Mechanic} {
		other := golf()
		other.LicenseNumber = "ZZ-99-ZZ"
		h.Do(http.MethodPost, "/api/vehicles", other, servicetest.As(t, role)...).Problem(t, http.StatusForbidden)
		changed := golf()
		changed.Type = "Polo"
		h.Do(http.MethodPut, path, changed, servicetest.As(t, role)...).Problem(t, http.StatusForbidden)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("refused writes stored %+v", s)
	}
	changed := golf()
	changed.Type = "Polo"
	if res := h.Do(http.MethodPut, path, changed, append(servicetest.As(t, auth.FrontDesk), "If-Match", `"1"`)...); res.Status != http.StatusOK {
		t.Errorf("front desk PUT: %d %s", res.Status, res.Body)
	}
	other := golf()
	other.LicenseNumber = "ZZ-99-ZZ"
	if res := h.Do(http.MethodPost, "/api/vehicles", other, servicetest.As(t, auth.FrontDesk)...); res.Status != http.StatusCreated {
		t.Errorf("front desk POST: %d %s", res.Status, res.Body)
	}
}
