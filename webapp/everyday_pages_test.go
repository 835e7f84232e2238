package webapp_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/webapp"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// An edit form carries the version it was read at; a save after someone else's change
// is refused (412) and the form shows the current values with the message.
func TestVehicleEditWithAStaleVersionShowsTheCurrentValues(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	form := e.get("/vehicles/AB-123-C/edit")
	form.expect(t, http.StatusOK, "Edit vehicle AB-123-C", "Volkswagen")
	if form.hidden("version") != "1" {
		t.Fatalf("version %q, want 1", form.hidden("version"))
	}
	// Someone else changes the type meanwhile.
	if p := e.post("/vehicles/AB-123-C", url.Values{"version": {"1"}, "brand": {"Volkswagen"}, "type": {"Polo"},
		"ownerId": {jane.CustomerID}}); p.status != http.StatusSeeOther {
		t.Fatalf("first save: %d %s", p.status, p.body)
	}
	p := e.post("/vehicles/AB-123-C", url.Values{"version": {"1"}, "brand": {"VW"}, "type": {"Golf"}, "ownerId": {jane.CustomerID}})
	p.expect(t, http.StatusPreconditionFailed, "This vehicle was changed by someone else since you opened the form")
	if p.inputValue("type") != "Polo" || p.hidden("version") != "2" {
		t.Fatalf("form shows type %q version %q, want the current Polo at 2", p.inputValue("type"), p.hidden("version"))
	}
	if v := e.api.Vehicles()[0]; v.Brand != "Volkswagen" || v.Type != "Polo" {
		t.Fatalf("stored %+v", v)
	}
}

func TestCustomerEditWithAStaleVersionShowsTheCurrentValues(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	form := customerForm(jane)
	form.Set("version", "1")
	form.Set("city", "Amsterdam")
	if p := e.post("/customers/"+jane.CustomerID, form); p.status != http.StatusSeeOther {
		t.Fatalf("first save: %d %s", p.status, p.body)
	}
	form.Set("city", "Rotterdam")
	p := e.post("/customers/"+jane.CustomerID, form)
	p.expect(t, http.StatusPreconditionFailed, "This customer was changed by someone else since you opened the form")
	if p.inputValue("city") != "Amsterdam" || p.hidden("version") != "2" {
		t.Fatalf("form shows city %q version %q", p.inputValue("city"), p.hidden("version"))
	}
}

// The pickers find customers and vehicles beyond the first thousand.
func TestPickersFindMatchesBeyondTheFirstThousand(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	for i := range 1001 {
		e.api.AddCustomer(apiclient.Customer{CustomerID: uuid.NewString(), Name: fmt.Sprintf("Customer %04d", i),
			Address: "a", PostalCode: "p", City: "Utrecht", TelephoneNumber: "1", EmailAddress: "c@example.com"})
	}
	last := e.api.Customers()[1000]
	p := e.get("/pick/customers?q=Customer+1000")
	p.expect(t, http.StatusOK, `"id":"`+last.CustomerID+`"`, "Customer 1000 (Utrecht)")
	e.api.AddVehicle(apiclient.Vehicle{LicenseNumber: "ZZ-999-Z", Brand: "Saab", Type: "900", OwnerID: last.CustomerID})
	e.get("/pick/vehicles?q=zz-9").expect(t, http.StatusOK, `"id":"ZZ-999-Z"`, "ZZ-999-Z · Saab 900 (Customer 1000)")
	// Choosing customer 1,001 as an owner works (validated server-side as before).
	v := url.Values{"licenseNumber": {"zz-998-z"}, "brand": {"Saab"}, "type": {"9-3"}, "ownerId": {last.CustomerID}}
	if p := e.post("/vehicles", v); p.status != http.StatusSeeOther {
		t.Fatalf("register with owner 1,001: %d %s", p.status, p.body)
	}
	// The form offers the chosen owner even beyond the first page.
	e.get("/vehicles/new?ownerId="+last.CustomerID).expect(t, http.StatusOK,
		`<option value="`+last.CustomerID+`" selected>Customer 1000 (Utrecht)</option>`, `data-pick="/pick/customers"`)
}

// The lists pass their search, filter and sort to the APIs and keep them when paging.
func TestListSearchAndSort(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	bob := apiclient.Customer{CustomerID: uuid.NewString(), Name: "Bob Smith", Address: "a", PostalCode: "p", City: "Amsterdam",
		TelephoneNumber: "1", EmailAddress: "bob@example.com"}
	e.api.AddCustomer(bob)
	p := e.get("/customers?q=smi&city=ams&sort=-name")
	p.expect(t, http.StatusOK, "Bob Smith", `value="smi"`)
	p.lacks(t, "Jane Doe")
	e.get("/customers?city=utr").expect(t, http.StatusOK, "Jane Doe")
	e.api.AddVehicle(jansCar)
	p = e.get("/vehicles?q=golf&sort=brand")
	p.expect(t, http.StatusOK, "AB-123-C")
	e.get("/vehicles?q=polo").lacks(t, "AB-123-C")
}

func TestAuditLogPage(t *testing.T) {
	t.Parallel()
	var al *fakeAPI
	e := start(t, func(o *webapp.Options) {
		al = startFakeAPI(t)
		o.Upstreams[webapp.Auditlog] = []string{al.AuditlogURL}
	})
	al.AddAuditEntry(apiclient.AuditEntry{Type: "pitstop.customers.CustomerRegistered", Subject: jane.CustomerID, Source: "customers",
		Actor: "frontdesk-lisa", Time: "2030-05-06T09:00:00+02:00", RecordedAt: "2030-05-06T07:00:01Z"})
	al.AddAuditEntry(apiclient.AuditEntry{Type: "pitstop.workshop.MaintenanceJobPlanned", Subject: "2030-05-06", Source: "workshop",
		Actor: "planner-piet", Time: "2030-05-06T09:05:00+02:00", RecordedAt: "2030-05-06T07:05:01Z"})
	p := e.get("/auditlog")
	p.expect(t, http.StatusOK, "Audit log", "pitstop.customers.CustomerRegistered", "frontdesk-lisa", "planner-piet", "2030-05-06 09:00:00")
	p = e.get("/auditlog?actor=planner-piet&sort=type")
	p.expect(t, http.StatusOK, "MaintenanceJobPlanned", `value="planner-piet"`)
	p.lacks(t, "CustomerRegistered")
	e.get("/auditlog?type=CustomerRegistered").lacks(t, "MaintenanceJobPlanned")
	e.get("/auditlog?q=lisa").lacks(t, "MaintenanceJobPlanned")
}

// The job page's cancel and move forms post to the workshop API with the planning's
// ETag, and its refusals are shown on the forms.
func TestCancelAndMoveJob(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	e.api.AddJob(today, job("j1", today, "08:00", "10:00", "Oil change"))
	e.api.AddJob(today, job("j2", today, "11:00", "12:00", "Brakes"))
	p := e.get("/workshop/" + today + "/jobs/j1")
	p.expect(t, http.StatusOK, `id="move-form"`, `id="cancel-form"`)
	etag := p.hidden("etag")
	if etag != `"2"` {
		t.Fatalf("etag %q", etag)
	}
	// Unconfirmed: nothing is sent.
	e.post("/workshop/"+today+"/jobs/j1/cancel", url.Values{"etag": {etag}, "reason": {"customer called"}}).
		expect(t, http.StatusBadRequest, "must be ticked")
	if e.api.Count("POST /api/workshopplanning/{date}/jobs/{id}/cancel") != 0 {
		t.Fatal("an unconfirmed cancel reached the API")
	}
	// Move to the next day.
	p = e.post("/workshop/"+today+"/jobs/j1/move", url.Values{"etag": {etag}, "date": {"2030-05-07"}, "startTime": {"09:00"}, "endTime": {"10:30"}})
	if p.status != http.StatusSeeOther || p.location != "/workshop/2030-05-07/jobs/j1" || e.api.LastIfMatch() != etag {
		t.Fatalf("move: %d %q If-Match %q", p.status, p.location, e.api.LastIfMatch())
	}
	if old := e.api.Planning(today).Jobs[0]; old.Status != apiclient.StatusMoved {
		t.Fatalf("old job %+v", old)
	}
	e.get("/workshop/"+today).expect(t, http.StatusOK, "Moved")
	e.get("/workshop/"+today+"/jobs/j1").expect(t, http.StatusOK, "Moved to", "2030-05-07")
	// A stale ETag: 412 shown on the form.
	e.post("/workshop/"+today+"/jobs/j2/cancel", url.Values{"etag": {etag}, "confirm": {"yes"}}).
		expect(t, http.StatusPreconditionFailed, "was changed by someone else")
	// Cancelled with a reason.
	fresh := e.get("/workshop/" + today + "/jobs/j2").hidden("etag")
	if p := e.post("/workshop/"+today+"/jobs/j2/cancel", url.Values{"etag": {fresh}, "confirm": {"yes"}, "reason": {"customer called"}}); p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", p.status, p.body)
	}
	p = e.get("/workshop/" + today + "/jobs/j2")
	p.expect(t, http.StatusOK, "Cancelled", "customer called")
	p.lacks(t, `id="cancel-form"`, "/finish")
	// A second cancel is a conflict shown on the form.
	e.post("/workshop/"+today+"/jobs/j2/cancel", url.Values{"confirm": {"yes"}}).expect(t, http.StatusConflict, "Only a planned job")
	// Bad times are caught before the API.
	e.post("/workshop/2030-05-07/jobs/j1/move", url.Values{"date": {"2030-05-07"}, "startTime": {"11:00"}, "endTime": {"10:00"}}).
		expect(t, http.StatusBadRequest, "must be after the start")
}

func TestMaintenanceHistoryOnTheVehicleAndCustomerPages(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	for d := 1; d <= 12; d++ {
		date := fmt.Sprintf("2030-04-%02d", d)
		e.api.AddJob(date, job(fmt.Sprintf("j%02d", d), date, "08:00", "09:00", fmt.Sprintf("Service %02d", d)))
	}
	p := e.get("/vehicles/AB-123-C")
	p.expect(t, http.StatusOK, "Maintenance history", "Service 12", "Service 03", "2030-04-12", "08:00–09:00", "More history", "Planned")
	p.lacks(t, "Service 02")
	more := e.get("/vehicles/AB-123-C?history=10")
	more.expect(t, http.StatusOK, "Service 02", "Service 01")
	e.get("/customers/"+jane.CustomerID).expect(t, http.StatusOK, "Maintenance history", "Service 12")
}
