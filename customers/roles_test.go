package customers_test

import (
	"net/http"
	"testing"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestCustomerRoles checks the roles the OpenAPI document grants (x-pitstop-roles):
// every role reads, only the front desk (and the administrator) writes; a refused write
// stores nothing.
func TestCustomerRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := h.register(lisa())
	path := "/api/customers/" + c.CustomerID
	for _, role := range []auth.Role{auth.FrontDesk, auth.Planner, auth.Mechanic} {
		for _, p := range []string{"/api/customers", "/api/customers?q=lisa&sort=-city", path} {
			if res := h.Do(http.MethodGet, p, nil, servicetest.As(t, role)...); res.Status != http.StatusOK {
				t.Errorf("%s GET %s: %d %s", role, p, res.Status, res.Body)
			}
		}
	}
	for _, role := range []auth.Role{auth.Planner, auth.Mechanic} {
		other := lisa()
		other.Name = "Other " + string(role)
		h.Do(http.MethodPost, "/api/customers", other, servicetest.As(t, role)...).Problem(t, http.StatusForbidden)
		h.Do(http.MethodPut, path, other, servicetest.As(t, role)...).Problem(t, http.StatusForbidden)
	}
	if s := h.stored(); s != (stored{1, 1}) {
		t.Errorf("refused writes stored %+v", s)
	}
	desk := lisa()
	desk.City = "Utrecht"
	if res := h.Do(http.MethodPut, path, desk, append(servicetest.As(t, auth.FrontDesk), "If-Match", `"1"`)...); res.Status != http.StatusOK {
		t.Errorf("front desk PUT: %d %s", res.Status, res.Body)
	}
	desk.Name = "Someone Else"
	desk.CustomerID = ""
	if res := h.Do(http.MethodPost, "/api/customers", desk, servicetest.As(t, auth.FrontDesk)...); res.Status != http.StatusCreated {
		t.Errorf("front desk POST: %d %s", res.Status, res.Body)
	}
}
