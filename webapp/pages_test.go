package webapp_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/webapp"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

func TestHomeAndAboutShowTheServices(t *testing.T) {
	t.Parallel()
	e := start(t, func(o *webapp.Options) { delete(o.Upstreams, webapp.Notifications) }, webapp.Auditlog)
	p := e.get("/")
	p.expect(t, http.StatusOK, "Welcome to Pitstop", `href="/workshop/`+today+`"`, "customers", "1 of 1 instance up",
		`href="/business-day"`, `href="/reminders"`, `href="/invoices"`)
	if p.header.Get("Content-Security-Policy") == "" || p.header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("security headers missing: %v", p.header)
	}
	// auditlog is down: the first request through its balancer marks it so.
	e.do(mustReq(t, http.MethodGet, e.srv.URL+"/api/auditlog"))
	p = e.get("/about")
	p.expect(t, http.StatusOK, "About Pitstop", e.api.CustomersURL, "auditlog", "down", "not configured")
}

func mustReq(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestStaticAssetsAreEmbedded(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	for path, want := range map[string]string{"/static/app.css": "text/css", "/static/app.js": "javascript",
		"/static/favicon.svg": "image/svg+xml"} {
		p := e.get(path)
		if p.status != http.StatusOK || !strings.Contains(p.header.Get("Content-Type"), want) || len(p.body) < 100 {
			t.Fatalf("%s: %d %q (%d bytes)", path, p.status, p.header.Get("Content-Type"), len(p.body))
		}
	}
	e.get("/static/nope.js").expect(t, http.StatusNotFound)
}

func TestUnknownPagesAndAPIPaths(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.get("/nowhere").expect(t, http.StatusNotFound, "Page not found")
	p := e.do(mustReq(t, http.MethodGet, e.srv.URL+"/api/nowhere"))
	if p.status != http.StatusNotFound || p.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("/api/nowhere: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

func TestOpsEndpoints(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if p := e.get(path); p.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, p.status, p.body)
		}
	}
	e.get("/")
	p := e.get("/metrics")
	p.expect(t, http.StatusOK, "pitstop_http_requests_total", "pitstop_gateway_instance_up")
}

func TestGatewayProxiesTheAPIs(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	p := e.do(mustReq(t, http.MethodGet, e.srv.URL+"/api/customers/"+jane.CustomerID))
	p.expect(t, http.StatusOK, `"name":"Jane Doe"`)
	p = e.do(mustReq(t, http.MethodGet, e.srv.URL+"/api/refdata/customers"))
	p.expect(t, http.StatusOK, `"items"`, jane.CustomerID)
	if e.api.Count("GET /api/refdata/customers") != 1 {
		t.Fatal("refdata request did not reach the workshop")
	}
}

func TestCustomerList(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.get("/customers").expect(t, http.StatusOK, "No customers registered yet.")
	for i := range 30 {
		c := jane
		c.CustomerID = strings.Replace(jane.CustomerID, "4b1a", "00"+string(rune('a'+i/10))+string(rune('0'+i%10)), 1)
		c.Name = "Customer " + string(rune('A'+i))
		e.api.AddCustomer(c)
	}
	p := e.get("/customers")
	p.expect(t, http.StatusOK, "Customer A", "Customer Y", `href="?cursor=25"`, "Register customer")
	p.lacks(t, "Customer Z", "First page")
	p = e.get("/customers?cursor=25")
	p.expect(t, http.StatusOK, "Customer Z", "First page")
	p.lacks(t, "Customer A<", "Next page")
	// A cursor the API rejects starts the list over.
	if p := e.get("/customers?cursor=bogus"); p.status != http.StatusSeeOther || p.location != "/customers" {
		t.Fatalf("bad cursor: %d %q", p.status, p.location)
	}
}

func TestCustomerDetailsWithVehicles(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	p := e.get("/customers/" + jane.CustomerID)
	p.expect(t, http.StatusOK, "Jane Doe", "Main Street 1", "1234 AB Utrecht", "jane@example.com",
		`href="/vehicles/AB-123-C"`, `href="/vehicles/new?ownerId=`+jane.CustomerID+`"`, `href="/customers/`+jane.CustomerID+`/edit"`)
	e.get("/customers/00000000-0000-0000-0000-000000000001").expect(t, http.StatusNotFound, "Customer not found")
}

func TestCustomerDetailsWhileVehiclesIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Vehicles)
	e.api.AddCustomer(jane)
	e.get("/customers/"+jane.CustomerID).expect(t, http.StatusOK, "Jane Doe", "The vehicles service is offline")
}

func TestCustomerPagesWhileCustomersIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Customers)
	for _, path := range []string{"/customers", "/customers/" + jane.CustomerID, "/customers/" + jane.CustomerID + "/edit"} {
		p := e.get(path)
		p.expect(t, http.StatusServiceUnavailable, "The customers service is offline, try again soon.")
		if p.header.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", path)
		}
	}
	// The other modules keep working.
	e.get("/workshop/"+today).expect(t, http.StatusOK, "No maintenance jobs planned")
	e.get("/vehicles").expect(t, http.StatusOK, "No vehicles registered yet.")
	e.get("/").expect(t, http.StatusOK, "Welcome")
}

func TestVehicleListShowsOwnersLinked(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	orphan := apiclient.Vehicle{LicenseNumber: "XY-99-Z", Brand: "Fiat", Type: "Panda", OwnerID: "99999999-0000-0000-0000-000000000000"}
	e.api.AddVehicle(orphan)
	p := e.get("/vehicles")
	p.expect(t, http.StatusOK, "AB-123-C", "Volkswagen", "Golf", `<a href="/customers/`+jane.CustomerID+`">Jane Doe</a>`,
		`<a href="/customers/`+orphan.OwnerID+`">`+orphan.OwnerID+`</a>`)
}

func TestVehicleListWhileCustomersIsDownStillShowsVehicles(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Customers)
	e.api.AddVehicle(jansCar)
	e.get("/vehicles").expect(t, http.StatusOK, "AB-123-C", jane.CustomerID)
	e.get("/vehicles/AB-123-C").expect(t, http.StatusOK, "AB-123-C", "The customers service is offline")
}

func TestVehicleDetails(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	e.get("/vehicles/AB-123-C").expect(t, http.StatusOK, "Volkswagen", "Golf",
		`<a id="owner" href="/customers/`+jane.CustomerID+`">Jane Doe</a>`, `href="/workshop/schedule?licenseNumber=AB-123-C"`)
	e.get("/vehicles/ZZ-000-Z").expect(t, http.StatusNotFound, "Vehicle not found")
	orphan := apiclient.Vehicle{LicenseNumber: "XY-99-Z", Brand: "Fiat", Type: "Panda", OwnerID: "99999999-0000-0000-0000-000000000000"}
	e.api.AddVehicle(orphan)
	e.get("/vehicles/XY-99-Z").expect(t, http.StatusOK, "The owner is not a registered customer.")
}

func TestVehiclePagesWhileVehiclesIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Vehicles)
	e.get("/vehicles").expect(t, http.StatusServiceUnavailable, "The vehicles service is offline, try again soon.")
	e.get("/vehicles/AB-123-C").expect(t, http.StatusServiceUnavailable, "The vehicles service is offline")
}

func TestWorkshopRedirectsToToday(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	if p := e.get("/workshop"); p.status != http.StatusSeeOther || p.location != "/workshop/"+today {
		t.Fatalf("/workshop: %d %q", p.status, p.location)
	}
}

func TestDayViewListsJobsByStartWithStatus(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	late := job("22222222-0000-0000-0000-000000000000", today, "13:00", "15:00", "Replace brakes")
	early := job("11111111-0000-0000-0000-000000000000", today, "08:00", "10:00", "Oil change")
	early.Status, early.ActualStartTime, early.ActualEndTime, early.Notes = apiclient.StatusCompleted,
		early.StartTime, late.StartTime[:11]+"09:45:00+02:00", "done"
	mid := job("33333333-0000-0000-0000-000000000000", today, "10:30", "11:00", "Check tyres")
	mid.Vehicle.LicenseNumber = "XY-99-Z"
	for _, j := range []apiclient.Job{late, early, mid} {
		e.api.AddJob(today, j)
	}
	p := e.get("/workshop/" + today)
	p.expect(t, http.StatusOK, "Monday 6 May 2030", `href="/workshop/2030-05-05"`, `href="/workshop/2030-05-07"`,
		`id="today" href="/workshop/`+today+`" aria-current="date"`, `href="/workshop/schedule?date=`+today+`"`,
		"08:00–10:00", "done 08:00–09:45", "10:30–11:00", "13:00–15:00", "Jane Doe", "Volkswagen Golf")
	i1, i2, i3 := strings.Index(p.body, "Oil change"), strings.Index(p.body, "Check tyres"), strings.Index(p.body, "Replace brakes")
	if !(i1 < i2 && i2 < i3) {
		t.Fatalf("jobs not sorted by start: %d %d %d", i1, i2, i3)
	}
	// The completed job is visibly distinct and cannot be finished again.
	p.expect(t, http.StatusOK, `id="job-`+early.JobID+`" class="job completed" data-status="Completed"`,
		`id="job-`+late.JobID+`" class="job planned" data-status="Planned"`, "badge-completed", "badge-planned")
	p.lacks(t, "/jobs/"+early.JobID+"/finish")
	p.expect(t, http.StatusOK, "/jobs/"+late.JobID+"/finish")
}

func TestDayViewOfOtherDays(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	p := e.get("/workshop/2030-05-05")
	p.expect(t, http.StatusOK, "No maintenance jobs planned for this day.", "Sunday 5 May 2030")
	p.lacks(t, "Schedule a job", `aria-current="date"`) // no planning in the past
	e.get("/workshop/2030-05-07").expect(t, http.StatusOK, "Schedule a job")
	e.get("/workshop/2030-13-40").expect(t, http.StatusNotFound, "is not a date")
	e.get("/workshop/yesterday").expect(t, http.StatusNotFound)
}

func TestDayViewWhileWorkshopIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Workshop)
	e.get("/workshop/"+today).expect(t, http.StatusServiceUnavailable, "The workshop service is offline, try again soon.")
	e.get("/workshop/schedule").expect(t, http.StatusServiceUnavailable, "The workshop service is offline")
	e.get("/customers").expect(t, http.StatusOK)
}

func TestJobListFragmentIsTheListAlone(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddJob(today, job("11111111-0000-0000-0000-000000000000", today, "08:00", "10:00", "Oil change"))
	p := e.get("/workshop/" + today + "/joblist")
	p.expect(t, http.StatusOK, "Oil change", `class="job planned"`)
	p.lacks(t, "<html", "<nav")
}

func TestJobDetails(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	j := job("11111111-0000-0000-0000-000000000000", today, "08:00", "12:00", "Oil change")
	e.api.AddJob(today, j)
	p := e.get("/workshop/" + today + "/jobs/" + j.JobID)
	p.expect(t, http.StatusOK, "Planned", "08:00–12:00", "Oil change", "AB-123-C", "Jane Doe", "+31 30 123 4567",
		"/jobs/"+j.JobID+"/finish")
	e.get("/workshop/"+today+"/jobs/99999999-0000-0000-0000-000000000000").expect(t, http.StatusNotFound, "Maintenance job not found")
	e.get("/workshop/someday/jobs/"+j.JobID).expect(t, http.StatusNotFound)
}

func TestLiveUpdatesOffWithoutJetStream(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	p := e.get("/workshop/" + today)
	p.lacks(t, "data-events")
	// 204 tells EventSource to stop reconnecting.
	if p := e.get("/workshop/" + today + "/events"); p.status != http.StatusNoContent {
		t.Fatalf("events without JetStream: %d", p.status)
	}
}
