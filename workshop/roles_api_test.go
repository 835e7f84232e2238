package workshop_test

import (
	"net/http"
	"testing"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestRolesOfTheNewOperations: the planner cancels and moves, the other roles may not
// (403, nothing stored); every role reads the history and the searches.
func TestRolesOfTheNewOperations(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	e.plan(day, jobAt("a", "AA-1-A", "08:00", "09:00"))
	move := map[string]string{"startTime": day + "T10:00:00+02:00", "endTime": day + "T11:00:00+02:00"}
	for _, role := range []auth.Role{auth.FrontDesk, auth.Mechanic} {
		before := e.stored()
		e.Do("POST", cancelPath(day, "a"), nil, servicetest.As(t, role)...).Problem(t, http.StatusForbidden)
		e.Do("POST", movePath(day, "a"), move, servicetest.As(t, role)...).Problem(t, http.StatusForbidden)
		if got := e.stored(); got != before {
			t.Fatalf("%s: refused request stored something", role)
		}
	}
	for _, role := range []auth.Role{auth.FrontDesk, auth.Planner, auth.Mechanic} {
		for _, path := range []string{"/api/workshopplanning/history?licenseNumber=AA-1-A", "/api/refdata/customers?q=x",
			"/api/refdata/vehicles?q=x&customerId=c-1"} {
			if r := e.Do("GET", path, nil, servicetest.As(t, role)...); r.Status != http.StatusOK {
				t.Fatalf("%s GET %s: %d %s", role, path, r.Status, r.Body)
			}
		}
	}
	if r := e.Do("POST", movePath(day, "a"), move, servicetest.As(t, auth.Planner)...); r.Status != http.StatusOK {
		t.Fatalf("planner move: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", cancelPath(day, "a"), nil, servicetest.As(t, auth.Planner)...); r.Status != http.StatusOK {
		t.Fatalf("planner cancel: %d %s", r.Status, r.Body)
	}
}
