package webapp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/webapp"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

func TestRegisterCustomerFormCarriesAFreshIDPerForm(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	a, b := e.get("/customers/new"), e.get("/customers/new")
	a.expect(t, http.StatusOK, "Register customer", `action="/customers"`)
	idA, idB := a.hidden("customerId"), b.hidden("customerId")
	if _, err := uuid.Parse(idA); err != nil || idA == idB {
		t.Fatalf("form ids %q and %q: want two distinct UUIDs", idA, idB)
	}
}

func TestRegisterCustomer(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	id := e.get("/customers/new").hidden("customerId")
	c := jane
	c.CustomerID = id
	p := e.post("/customers", customerForm(c))
	if p.status != http.StatusSeeOther || p.location != "/customers/"+id {
		t.Fatalf("register: %d %q %s", p.status, p.location, p.body)
	}
	got := e.api.Customers()
	if len(got) != 1 || got[0] != c {
		t.Fatalf("stored %+v, want %+v", got, c)
	}
	e.get(p.location).expect(t, http.StatusOK, "Jane Doe")
}

func TestDoubleSubmittedCustomerFormRegistersOneCustomer(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	form := customerForm(jane)
	form.Set("customerId", e.get("/customers/new").hidden("customerId"))
	for i := range 3 {
		if p := e.post("/customers", form); p.status != http.StatusSeeOther {
			t.Fatalf("submit %d: %d %s", i+1, p.status, p.body)
		}
	}
	if n := len(e.api.Customers()); n != 1 {
		t.Fatalf("%d customers registered by one form submitted three times", n)
	}
}

func TestResubmittedCustomerFormWithOtherDataIsExplained(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	form := customerForm(jane)
	e.post("/customers", form)
	form.Set("name", "Jane Smith")
	p := e.post("/customers", form)
	p.expect(t, http.StatusConflict, "This form was already submitted with other data")
	if got := e.api.Customers(); len(got) != 1 || got[0].Name != "Jane Doe" {
		t.Fatalf("stored %+v", got)
	}
}

func TestRegisterCustomerShowsTheAPIsFieldErrorsNextToTheFields(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	form := customerForm(jane)
	form.Set("name", "  ")
	form.Set("emailAddress", "not-an-address")
	p := e.post("/customers", form)
	p.expect(t, http.StatusBadRequest)
	if got := p.fieldError("name"); got != "Name is required" {
		t.Fatalf("name error %q", got)
	}
	if got := p.fieldError("emailAddress"); got != "E-mail address must be a valid e-mail address" {
		t.Fatalf("e-mail error %q", got)
	}
	if p.fieldError("city") != "" {
		t.Fatal("a valid field shows an error")
	}
	// The input is kept, and so is the form's id.
	if p.inputValue("emailAddress") != "not-an-address" || p.inputValue("city") != "Utrecht" || p.hidden("customerId") != jane.CustomerID {
		t.Fatalf("input lost: %q %q %q", p.inputValue("emailAddress"), p.inputValue("city"), p.hidden("customerId"))
	}
	if len(e.api.Customers()) != 0 {
		t.Fatal("a rejected form stored a customer")
	}
}

func TestRegisterCustomerWithoutFormID(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	form := customerForm(jane)
	form.Del("customerId")
	p := e.post("/customers", form)
	p.expect(t, http.StatusBadRequest, "The form was incomplete")
	if _, err := uuid.Parse(p.hidden("customerId")); err != nil {
		t.Fatalf("no fresh id in the re-rendered form: %q", p.hidden("customerId"))
	}
	if len(e.api.Customers()) != 0 {
		t.Fatal("stored a customer from an incomplete form")
	}
}

func TestRegisterCustomerWhileCustomersIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Customers)
	p := e.post("/customers", customerForm(jane))
	p.expect(t, http.StatusServiceUnavailable, "The customers service is offline, try again soon. Nothing was saved.")
	if p.inputValue("name") != "Jane Doe" {
		t.Fatal("the user's input was lost")
	}
}

func TestEditCustomer(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	p := e.get("/customers/" + jane.CustomerID + "/edit")
	p.expect(t, http.StatusOK, "Edit customer", `action="/customers/`+jane.CustomerID+`"`)
	if p.inputValue("name") != "Jane Doe" || p.inputValue("emailAddress") != "jane@example.com" {
		t.Fatalf("not prefilled: %q %q", p.inputValue("name"), p.inputValue("emailAddress"))
	}
	form := customerForm(jane)
	form.Set("city", "Amsterdam")
	form.Set("customerId", "tampered") // the path names the customer
	p = e.post("/customers/"+jane.CustomerID, form)
	if p.status != http.StatusSeeOther || p.location != "/customers/"+jane.CustomerID {
		t.Fatalf("update: %d %q %s", p.status, p.location, p.body)
	}
	if got := e.api.Customers(); len(got) != 1 || got[0].City != "Amsterdam" {
		t.Fatalf("stored %+v", got)
	}
}

func TestEditCustomerErrors(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	form := customerForm(jane)
	form.Set("telephoneNumber", "")
	p := e.post("/customers/"+jane.CustomerID, form)
	p.expect(t, http.StatusBadRequest, "Edit customer")
	if got := p.fieldError("telephoneNumber"); got != "Telephone number is required" {
		t.Fatalf("telephone error %q", got)
	}
	if e.api.Customers()[0].TelephoneNumber != jane.TelephoneNumber {
		t.Fatal("a rejected update changed the customer")
	}
	e.get("/customers/00000000-0000-0000-0000-000000000009/edit").expect(t, http.StatusNotFound, "Customer not found")
	e.post("/customers/00000000-0000-0000-0000-000000000009", customerForm(jane)).expect(t, http.StatusNotFound)
}

func TestFormsRefuseCrossSitePosts(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/customers", strings.NewReader(customerForm(jane).Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	e.do(req).expect(t, http.StatusForbidden, "sent from another site")
	if len(e.api.Customers()) != 0 {
		t.Fatal("a cross-site post registered a customer")
	}
}

func TestRegisterVehicleFormOffersTheCustomersAsOwners(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	p := e.get("/vehicles/new?ownerId=" + jane.CustomerID)
	p.expect(t, http.StatusOK, "Register vehicle", `<option value="`+jane.CustomerID+`" selected>Jane Doe (Utrecht)</option>`)
}

func TestRegisterVehicleFormWhileCustomersIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Customers)
	e.get("/vehicles/new").expect(t, http.StatusServiceUnavailable, "The customers service is offline")
}

func TestRegisterVehicle(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	form := url.Values{"licenseNumber": {"ab-123-c"}, "brand": {"Volkswagen"}, "type": {"Golf"}, "ownerId": {jane.CustomerID}}
	for i := range 2 { // a repeated submit is the same vehicle
		p := e.post("/vehicles", form)
		if p.status != http.StatusSeeOther || p.location != "/vehicles/AB-123-C" {
			t.Fatalf("submit %d: %d %q %s", i+1, p.status, p.location, p.body)
		}
	}
	if got := e.api.Vehicles(); len(got) != 1 || got[0] != jansCar {
		t.Fatalf("stored %+v", got)
	}
}

func TestRegisterVehicleErrors(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	p := e.post("/vehicles", url.Values{"licenseNumber": {"ABCD-1"}, "brand": {""}, "type": {"Golf"}, "ownerId": {""}})
	p.expect(t, http.StatusBadRequest, `<option value="`+jane.CustomerID+`">Jane Doe (Utrecht)</option>`)
	for field, want := range map[string]string{"licenseNumber": "Licence number must look like AB-123-C",
		"brand": "Brand is required", "ownerId": "Owner is required"} {
		if got := p.fieldError(field); got != want {
			t.Errorf("%s error %q, want %q", field, got, want)
		}
	}
	if p.inputValue("type") != "Golf" {
		t.Fatal("input lost")
	}
	e.api.AddVehicle(jansCar)
	p = e.post("/vehicles", url.Values{"licenseNumber": {"AB-123-C"}, "brand": {"Fiat"}, "type": {"Panda"}, "ownerId": {jane.CustomerID}})
	p.expect(t, http.StatusConflict)
	if got := p.fieldError("licenseNumber"); !strings.Contains(got, "already registered") {
		t.Fatalf("conflict shown as %q", got)
	}
	if len(e.api.Vehicles()) != 1 {
		t.Fatal("rejected vehicles stored")
	}
}

func TestRegisterVehicleWhileVehiclesIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Vehicles)
	e.api.AddCustomer(jane)
	p := e.post("/vehicles", url.Values{"licenseNumber": {"AB-123-C"}, "brand": {"VW"}, "type": {"Golf"}, "ownerId": {jane.CustomerID}})
	p.expect(t, http.StatusServiceUnavailable, "The vehicles service is offline, try again soon.")
}

// scheduleForm is the schedule form as shown, filled in for jansCar.
func scheduleForm(t *testing.T, e *env, date, from, to, description string) url.Values {
	t.Helper()
	p := e.get("/workshop/schedule?date=" + date)
	p.expect(t, http.StatusOK)
	return url.Values{"jobId": {p.hidden("jobId")}, "licenseNumber": {jansCar.LicenseNumber}, "date": {date},
		"startTime": {from}, "endTime": {to}, "description": {description}}
}

func TestScheduleFormDefaults(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	p := e.get("/workshop/schedule")
	p.expect(t, http.StatusOK, "Schedule a maintenance job", `<option value="AB-123-C">AB-123-C · Volkswagen Golf (Jane Doe)</option>`,
		`min="`+today+`"`)
	if p.inputValue("date") != today || p.inputValue("startTime") != "08:00" || p.inputValue("endTime") != "10:00" {
		t.Fatalf("defaults: %q %q %q", p.inputValue("date"), p.inputValue("startTime"), p.inputValue("endTime"))
	}
	if _, err := uuid.Parse(p.hidden("jobId")); err != nil || p.hidden("jobId") == e.get("/workshop/schedule").hidden("jobId") {
		t.Fatal("each form needs its own job id")
	}
	// A day in the past is not offered; a later day and a chosen vehicle are kept.
	if got := e.get("/workshop/schedule?date=2030-05-01").inputValue("date"); got != today {
		t.Fatalf("past date offered: %q", got)
	}
	p = e.get("/workshop/schedule?date=2030-05-09&licenseNumber=AB-123-C")
	if p.inputValue("date") != "2030-05-09" || !strings.Contains(p.body, `<option value="AB-123-C" selected>`) {
		t.Fatal("date or vehicle not preselected")
	}
}

func TestScheduleJob(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	form := scheduleForm(t, e, today, "08:00", "12:00", "Oil change")
	jobID := form.Get("jobId")
	for i := range 2 { // double click: one job
		p := e.post("/workshop/schedule", form)
		if p.status != http.StatusSeeOther || p.location != "/workshop/"+today+"#job-"+jobID {
			t.Fatalf("submit %d: %d %q %s", i+1, p.status, p.location, p.body)
		}
	}
	pl := e.api.Planning(today)
	if pl == nil || len(pl.Jobs) != 1 {
		t.Fatalf("planning %+v, want one job", pl)
	}
	j := pl.Jobs[0]
	want := apiclient.Job{JobID: jobID, StartTime: "2030-05-06T08:00:00+02:00", EndTime: "2030-05-06T12:00:00+02:00",
		Description: "Oil change", Status: apiclient.StatusPlanned,
		Customer: apiclient.JobCustomer{CustomerID: jane.CustomerID, Name: jane.Name, TelephoneNumber: jane.TelephoneNumber},
		Vehicle:  apiclient.JobVehicle{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf"}}
	if j != want {
		t.Fatalf("planned %+v\nwant    %+v", j, want)
	}
	e.get("/workshop/"+today).expect(t, http.StatusOK, "08:00–12:00", "Planned", "Oil change")
}

func TestScheduleJobValidation(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	cases := []struct {
		name   string
		change func(url.Values)
		field  string
		want   string
	}{
		{"past date", func(f url.Values) { f.Set("date", "2030-05-05") }, "date", "Date must be today or later"},
		{"bad date", func(f url.Values) { f.Set("date", "06-05-2030") }, "date", "Date must be a date"},
		{"bad start", func(f url.Values) { f.Set("startTime", "8 o'clock") }, "startTime", "Start must be a time of day (HH:MM)"},
		{"end before start", func(f url.Values) { f.Set("endTime", "07:00") }, "endTime", "End must be after the start"},
		{"no vehicle", func(f url.Values) { f.Set("licenseNumber", "") }, "licenseNumber", "Vehicle is required"},
		{"unknown vehicle", func(f url.Values) { f.Set("licenseNumber", "ZZ-999-Z") }, "licenseNumber", "Vehicle is not a vehicle the workshop knows"},
		{"no description", func(f url.Values) { f.Set("description", " ") }, "description", "Description is required"},
	}
	for _, c := range cases {
		form := scheduleForm(t, e, today, "08:00", "10:00", "Oil change")
		c.change(form)
		p := e.post("/workshop/schedule", form)
		p.expect(t, http.StatusBadRequest)
		if got := p.fieldError(c.field); got != c.want {
			t.Errorf("%s: %s error %q, want %q", c.name, c.field, got, c.want)
		}
		if p.hidden("jobId") != form.Get("jobId") {
			t.Errorf("%s: the form's job id changed", c.name)
		}
	}
	if e.api.Planning(today) != nil || e.api.Count("POST /api/workshopplanning/{date}/jobs") != 0 {
		t.Fatal("an invalid form reached the workshop API")
	}
}

func TestScheduleJobShowsTheAPIsFieldErrors(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	// The description's length is checked by the API only.
	form := scheduleForm(t, e, today, "08:00", "10:00", strings.Repeat("d", 2001))
	p := e.post("/workshop/schedule", form)
	p.expect(t, http.StatusBadRequest)
	if got := p.fieldError("description"); got != "Description must be at most 2000 characters" {
		t.Fatalf("description error %q", got)
	}
	if e.api.Count("POST /api/workshopplanning/{date}/jobs") != 1 || e.api.Planning(today) != nil {
		t.Fatal("want one rejected plan request and nothing planned")
	}
}

func TestScheduleJobWhenTheOwnerIsNotKnownYet(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	form := scheduleForm(t, e, today, "08:00", "10:00", "Oil change")
	e.api.ForgetRefCustomer(jane.CustomerID) // the workshop has not seen the customer's event yet
	p := e.post("/workshop/schedule", form)
	p.expect(t, http.StatusConflict, "The owner of AB-123-C is not known to the workshop yet; try again in a moment.")
	if e.api.Planning(today) != nil {
		t.Fatal("planned without an owner")
	}
}

func TestScheduleJobShowsBusinessRuleRejectionsInWords(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	e.api.AddJob(today, job("11111111-0000-0000-0000-000000000000", today, "09:00", "11:00", "Earlier job"))
	form := scheduleForm(t, e, today, "10:00", "12:00", "Overlapping job")
	p := e.post("/workshop/schedule", form)
	p.expect(t, http.StatusConflict, "Only 1 maintenance job can be executed on a vehicle during a certain time-slot.")
	if p.inputValue("startTime") != "10:00" || !strings.Contains(p.body, "Overlapping job") {
		t.Fatal("input lost")
	}
	if n := len(e.api.Planning(today).Jobs); n != 1 {
		t.Fatalf("%d jobs after a rejected plan", n)
	}
	// Moved to a free slot, the same form (same id) goes through.
	form.Set("startTime", "11:00")
	if p := e.post("/workshop/schedule", form); p.status != http.StatusSeeOther {
		t.Fatalf("after moving: %d %s", p.status, p.body)
	}
}

func TestScheduleJobWhileWorkshopIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Workshop)
	form := url.Values{"jobId": {uuid.NewString()}, "licenseNumber": {"AB-123-C"}, "date": {today},
		"startTime": {"08:00"}, "endTime": {"10:00"}, "description": {"Oil change"}}
	p := e.post("/workshop/schedule", form)
	p.expect(t, http.StatusServiceUnavailable, "The workshop service is offline, try again soon. Nothing was saved.")
}

func TestScheduleJobWhileCustomersAndVehiclesAreDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Customers, webapp.Vehicles)
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	form := scheduleForm(t, e, today, "08:00", "10:00", "Oil change")
	if p := e.post("/workshop/schedule", form); p.status != http.StatusSeeOther {
		t.Fatalf("planning needs only the workshop: %d %s", p.status, p.body)
	}
}

func TestFinishJobFormIsPrefilledWithThePlannedTimes(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	j := job("11111111-0000-0000-0000-000000000000", today, "08:00", "12:00", "Oil change")
	e.api.AddJob(today, j)
	p := e.get("/workshop/" + today + "/jobs/" + j.JobID + "/finish")
	p.expect(t, http.StatusOK, "Finish maintenance job", "AB-123-C", "Oil change")
	if p.inputValue("actualStartTime") != "08:00" || p.inputValue("actualEndTime") != "12:00" {
		t.Fatalf("prefilled %q–%q", p.inputValue("actualStartTime"), p.inputValue("actualEndTime"))
	}
	e.get("/workshop/"+today+"/jobs/99999999-0000-0000-0000-000000000000/finish").expect(t, http.StatusNotFound)
}

func TestFinishJob(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	j := job("11111111-0000-0000-0000-000000000000", today, "08:00", "12:00", "Oil change")
	e.api.AddJob(today, j)
	form := url.Values{"actualStartTime": {"08:00"}, "actualEndTime": {"11:00"}, "notes": {"Replaced the oil filter too."}}
	path := "/workshop/" + today + "/jobs/" + j.JobID + "/finish"
	for i := range 2 { // a repeated submit of the same form is a success, not an error
		p := e.post(path, form)
		if p.status != http.StatusSeeOther || p.location != "/workshop/"+today+"#job-"+j.JobID {
			t.Fatalf("submit %d: %d %q %s", i+1, p.status, p.location, p.body)
		}
	}
	got := e.api.Planning(today).Jobs[0]
	if got.Status != apiclient.StatusCompleted || got.ActualStartTime != "2030-05-06T08:00:00+02:00" ||
		got.ActualEndTime != "2030-05-06T11:00:00+02:00" || got.Notes != "Replaced the oil filter too." {
		t.Fatalf("finished as %+v", got)
	}
	e.get("/workshop/"+today+"/jobs/"+j.JobID).expect(t, http.StatusOK, "Completed", "08:00–11:00", "Replaced the oil filter too.")
	// The finish form of a completed job leads to its details.
	if p := e.get(path); p.status != http.StatusSeeOther || p.location != "/workshop/"+today+"/jobs/"+j.JobID {
		t.Fatalf("finish form of a completed job: %d %q", p.status, p.location)
	}
	// Finishing it again differently is the business rule, in words.
	form.Set("notes", "Something else")
	e.post(path, form).expect(t, http.StatusConflict, "An already finished job can not be finished.")
}

func TestFinishJobValidation(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	j := job("11111111-0000-0000-0000-000000000000", today, "08:00", "12:00", "Oil change")
	e.api.AddJob(today, j)
	path := "/workshop/" + today + "/jobs/" + j.JobID + "/finish"
	p := e.post(path, url.Values{"actualStartTime": {"11:00"}, "actualEndTime": {"09:00"}, "notes": {"x"}})
	p.expect(t, http.StatusBadRequest)
	if got := p.fieldError("actualEndTime"); got != "Actual end must be after the start" {
		t.Fatalf("end error %q", got)
	}
	p = e.post(path, url.Values{"actualStartTime": {"25:00"}, "actualEndTime": {""}})
	if p.fieldError("actualStartTime") == "" || p.fieldError("actualEndTime") == "" {
		t.Fatalf("bad times not reported:\n%s", p.body)
	}
	// The API's own field errors are shown next to the fields too.
	p = e.post(path, url.Values{"actualStartTime": {"08:00"}, "actualEndTime": {"09:00"}, "notes": {strings.Repeat("n", 4001)}})
	p.expect(t, http.StatusBadRequest)
	if got := p.fieldError("notes"); got != "Notes must be at most 4000 characters" {
		t.Fatalf("notes error %q", got)
	}
	if e.api.Planning(today).Jobs[0].Status != apiclient.StatusPlanned {
		t.Fatal("an invalid form finished the job")
	}
	e.post("/workshop/"+today+"/jobs/99999999-0000-0000-0000-000000000000/finish",
		url.Values{"actualStartTime": {"08:00"}, "actualEndTime": {"09:00"}}).expect(t, http.StatusNotFound)
}

func TestFinishJobWhileWorkshopIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Workshop)
	p := e.post("/workshop/"+today+"/jobs/11111111-0000-0000-0000-000000000000/finish",
		url.Values{"actualStartTime": {"08:00"}, "actualEndTime": {"09:00"}})
	p.expect(t, http.StatusServiceUnavailable, "The workshop service is offline, try again soon.")
}

func TestTimesAreInTheGaragesTimeZone(t *testing.T) {
	t.Parallel()
	tokyo := time.FixedZone("JST", 9*60*60)
	e := start(t, func(o *webapp.Options) { o.Location = tokyo })
	e.api.AddCustomer(jane)
	e.api.AddVehicle(jansCar)
	// 09:30 CEST is 16:30 JST on the same day.
	form := scheduleForm(t, e, today, "17:00", "18:00", "Evening job")
	if p := e.post("/workshop/schedule", form); p.status != http.StatusSeeOther {
		t.Fatalf("%d %s", p.status, p.body)
	}
	if got := e.api.Planning(today).Jobs[0].StartTime; got != "2030-05-06T17:00:00+09:00" {
		t.Fatalf("start %q", got)
	}
}
