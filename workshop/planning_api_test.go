package workshop_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

const day = "2024-05-01"

type jobBody struct {
	JobID       string         `json:"jobId,omitempty"`
	StartTime   string         `json:"startTime"`
	EndTime     string         `json:"endTime"`
	Description string         `json:"description"`
	Customer    map[string]any `json:"customer"`
	Vehicle     map[string]any `json:"vehicle"`
}

func jobAt(id, plate, from, to string) jobBody {
	return jobBody{
		JobID:       id,
		StartTime:   day + "T" + from + ":00+02:00",
		EndTime:     day + "T" + to + ":00+02:00",
		Description: "Replace brake pads",
		Customer:    map[string]any{"customerId": "c-1", "name": "Jane Doe", "telephoneNumber": "0612345678"},
		Vehicle:     map[string]any{"licenseNumber": plate, "brand": "Volkswagen", "type": "Golf"},
	}
}

type jobJSON struct {
	JobID           string  `json:"jobId"`
	StartTime       string  `json:"startTime"`
	EndTime         string  `json:"endTime"`
	Description     string  `json:"description"`
	Status          string  `json:"status"`
	ActualStartTime *string `json:"actualStartTime"`
	ActualEndTime   *string `json:"actualEndTime"`
	Notes           *string `json:"notes"`
	Customer        struct {
		CustomerID      string `json:"customerId"`
		Name            string `json:"name"`
		TelephoneNumber string `json:"telephoneNumber"`
	} `json:"customer"`
	Vehicle struct {
		LicenseNumber string `json:"licenseNumber"`
		Brand         string `json:"brand"`
		Type          string `json:"type"`
	} `json:"vehicle"`
}

type planningJSON struct {
	PlanningDate string    `json:"planningDate"`
	Jobs         []jobJSON `json:"jobs"`
}

func TestPlanGetAndFinishJob(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})

	if r := e.Do("GET", "/api/workshopplanning/"+day, nil); r.Status != http.StatusNotFound {
		t.Fatalf("planning before first job: %d %s", r.Status, r.Body)
	}
	r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt("job-1", "ab-123-c", "08:00", "10:00"))
	if r.Status != http.StatusCreated {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/workshopplanning/"+day+"/jobs/job-1" {
		t.Fatalf("Location %q", loc)
	}
	var p planningJSON
	r.JSON(t, &p)
	if p.PlanningDate != day || len(p.Jobs) != 1 {
		t.Fatalf("planning %+v", p)
	}
	j := p.Jobs[0]
	if j.JobID != "job-1" || j.StartTime != day+"T08:00:00+02:00" || j.EndTime != day+"T10:00:00+02:00" ||
		j.Status != "Planned" || j.Vehicle.LicenseNumber != "AB-123-C" || j.Customer.Name != "Jane Doe" ||
		j.Description != "Replace brake pads" || j.ActualStartTime != nil || j.Notes != nil {
		t.Fatalf("job %+v", j)
	}
	if got := e.stored(); got != [2]int{2, 2} {
		t.Fatalf("events/outbox after first job: %v", got)
	}

	// Without a jobId one is generated and returned in Location.
	r = e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt("", "AB-123-D", "08:00", "10:00"))
	if r.Status != http.StatusCreated || !strings.HasPrefix(r.Header.Get("Location"), "/api/workshopplanning/"+day+"/jobs/") {
		t.Fatalf("plan without id: %d %s", r.Status, r.Body)
	}
	generated := strings.TrimPrefix(r.Header.Get("Location"), "/api/workshopplanning/"+day+"/jobs/")
	if r := e.Do("GET", "/api/workshopplanning/"+day+"/jobs/"+generated, nil); r.Status != http.StatusOK {
		t.Fatalf("get generated job: %d %s", r.Status, r.Body)
	}

	r = e.Do("GET", "/api/workshopplanning/"+day, nil)
	r.JSON(t, &p)
	if r.Status != http.StatusOK || len(p.Jobs) != 2 {
		t.Fatalf("get planning: %d %s", r.Status, r.Body)
	}

	r = e.Do("PUT", "/api/workshopplanning/"+day+"/jobs/job-1/finish", map[string]string{
		"actualStartTime": day + "T08:05:00+02:00", "actualEndTime": day + "T10:30:00+02:00", "notes": "Pads and discs"})
	if r.Status != http.StatusOK {
		t.Fatalf("finish: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &j)
	if j.Status != "Completed" || j.ActualStartTime == nil || *j.ActualStartTime != day+"T08:05:00+02:00" ||
		*j.ActualEndTime != day+"T10:30:00+02:00" || *j.Notes != "Pads and discs" {
		t.Fatalf("finished job %+v", j)
	}
	r = e.Do("GET", "/api/workshopplanning/"+day+"/jobs/job-1", nil)
	r.JSON(t, &j)
	if r.Status != http.StatusOK || j.Status != "Completed" {
		t.Fatalf("get finished job: %d %s", r.Status, r.Body)
	}

	before := e.stored()
	r = e.Do("PUT", "/api/workshopplanning/"+day+"/jobs/job-1/finish", map[string]string{
		"actualStartTime": day + "T08:05:00+02:00", "actualEndTime": day + "T10:30:00+02:00"})
	if r.Status != http.StatusConflict || r.Problem(t, http.StatusConflict).Detail != "An already finished job can not be finished." {
		t.Fatalf("finish twice: %d %s", r.Status, r.Body)
	}
	if got := e.stored(); got != before {
		t.Fatalf("finish twice stored something: %v -> %v", before, got)
	}
	// Event store and outbox agree on every event id.
	if n := e.QueryInt(`SELECT count(*) FROM events e JOIN outbox o USING (event_id)`); n != before[0] {
		t.Fatalf("%d of %d events have an outbox row with the same id", n, before[0])
	}
}

func TestPlanJobIsIdempotentByJobID(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	body := jobAt("job-1", "AB-123-C", "08:00", "10:00")
	if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", body); r.Status != http.StatusCreated {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	before := e.stored()
	r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", body)
	var p planningJSON
	r.JSON(t, &p)
	if r.Status != http.StatusOK || len(p.Jobs) != 1 || p.Jobs[0].JobID != "job-1" {
		t.Fatalf("same job again: %d %s", r.Status, r.Body)
	}
	if got := e.stored(); got != before {
		t.Fatalf("same job again stored something: %v -> %v", before, got)
	}
	other := jobAt("job-1", "AB-123-C", "11:00", "12:00")
	if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", other); r.Status != http.StatusConflict ||
		!strings.Contains(r.Problem(t, http.StatusConflict).Detail, "job-1") {
		t.Fatalf("other job with same id: %d %s", r.Status, r.Body)
	}
	if got := e.stored(); got != before {
		t.Fatalf("conflicting id stored something: %v -> %v", before, got)
	}
}

func TestPlanningRuleViolationsAre409AndStoreNothing(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	for i, plate := range []string{"1-A-1", "1-A-2", "1-A-3"} {
		if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt(fmt.Sprint("j", i), plate, "08:00", "10:00")); r.Status != http.StatusCreated {
			t.Fatalf("plan %d: %d %s", i, r.Status, r.Body)
		}
	}
	spanning := jobAt("span", "9-Z-9", "22:00", "23:00")
	spanning.EndTime = "2024-05-02T01:00:00+02:00"
	tests := []struct {
		name   string
		body   jobBody
		detail string
	}{
		{"4th concurrent job", jobAt("j4", "1-A-4", "09:00", "11:00"), "Maintenance job overlaps with more than 3 other jobs"},
		{"same vehicle overlapping", jobAt("j5", "1-A-1", "09:59", "10:30"),
			"Only 1 maintenance job can be executed on a vehicle during a certain time-slot."},
		{"spanning two days", spanning, "The start and end time of a maintenance job must both be on the planning date 2024-05-01."},
	}
	for _, tt := range tests {
		before := e.stored()
		r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", tt.body)
		if r.Status != http.StatusConflict || r.Problem(t, http.StatusConflict).Detail != tt.detail {
			t.Fatalf("%s: %d %s", tt.name, r.Status, r.Body)
		}
		if got := e.stored(); got != before {
			t.Fatalf("%s stored something: %v -> %v", tt.name, before, got)
		}
	}
	// Touching the three running jobs is fine.
	if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt("j6", "1-A-4", "10:00", "11:00")); r.Status != http.StatusCreated {
		t.Fatalf("touching job: %d %s", r.Status, r.Body)
	}
}

func TestPlanningBadInputIs4xxAndStoresNothing(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt("job-1", "AB-123-C", "08:00", "10:00")); r.Status != http.StatusCreated {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	jobs := "/api/workshopplanning/" + day + "/jobs"
	finish := jobs + "/job-1/finish"
	badLicence := jobAt("x", "AB-1234-C", "08:00", "10:00")
	noFields := map[string]any{}
	reversed := jobAt("x", "AB-123-D", "10:00", "08:00")
	badTime := jobAt("x", "AB-123-D", "08:00", "10:00")
	badTime.StartTime = "2024-05-01 08:00"
	badJobID := jobAt("not a/valid id", "AB-123-D", "08:00", "10:00")
	ctrl := jobAt("x", "AB-123-D", "08:00", "10:00")
	ctrl.Customer["name"] = "Jane\u0000Doe"
	long := jobAt("x", "AB-123-D", "08:00", "10:00")
	long.Description = strings.Repeat("x", 2001)
	wrongType := `{"startTime": 8, "endTime": "x"}`
	huge := `{"description":"` + strings.Repeat("x", 70<<10) + `"}`
	valid := jobAt("x", "AB-123-D", "08:00", "10:00")

	tests := []struct {
		name, method, path string
		body               any
		status             int
		fields             []string
	}{
		{"bad date 2024-13-45 (GET)", "GET", "/api/workshopplanning/2024-13-45", nil, 400, []string{"date"}},
		{"bad date yesterday (GET)", "GET", "/api/workshopplanning/yesterday", nil, 400, []string{"date"}},
		{"bad date (POST)", "POST", "/api/workshopplanning/2024-13-45/jobs", valid, 400, []string{"date"}},
		{"bad date yesterday (POST)", "POST", "/api/workshopplanning/yesterday/jobs", valid, 400, []string{"date"}},
		{"bad date (GET job)", "GET", "/api/workshopplanning/yesterday/jobs/job-1", nil, 400, []string{"date"}},
		{"bad date (finish)", "PUT", "/api/workshopplanning/2024-13-45/jobs/job-1/finish",
			map[string]string{"actualStartTime": day + "T08:00:00Z", "actualEndTime": day + "T09:00:00Z"}, 400, []string{"date"}},
		{"bad licence", "POST", jobs, badLicence, 400, []string{"vehicle.licenseNumber"}},
		{"missing fields", "POST", jobs, noFields, 400, []string{"customer.customerId", "customer.name",
			"customer.telephoneNumber", "description", "endTime", "startTime", "vehicle.brand", "vehicle.licenseNumber", "vehicle.type"}},
		{"start after end", "POST", jobs, reversed, 400, []string{"endTime"}},
		{"time without offset", "POST", jobs, badTime, 400, []string{"startTime"}},
		{"bad job id", "POST", jobs, badJobID, 400, []string{"jobId"}},
		{"control characters", "POST", jobs, ctrl, 400, []string{"customer.name"}},
		{"description too long", "POST", jobs, long, 400, []string{"description"}},
		{"wrong JSON type", "POST", jobs, wrongType, 400, nil},
		{"malformed JSON", "POST", jobs, `{"startTime":`, 400, nil},
		{"not JSON", "POST", jobs, `<xml/>`, 400, nil},
		{"two JSON values", "POST", jobs, `{} {}`, 400, nil},
		{"empty body", "POST", jobs, "", 400, nil},
		{"oversized body", "POST", jobs, huge, 413, nil},
		{"oversized finish body", "PUT", finish, huge, 413, nil},
		{"unknown planning", "GET", "/api/workshopplanning/2024-05-02", nil, 404, nil},
		{"unknown job", "GET", jobs + "/nope", nil, 404, nil},
		{"job of unknown planning", "GET", "/api/workshopplanning/2024-05-02/jobs/job-1", nil, 404, nil},
		{"impossible job id", "GET", jobs + "/%00", nil, 404, nil},
		{"finish unknown job", "PUT", jobs + "/nope/finish",
			map[string]string{"actualStartTime": day + "T08:00:00Z", "actualEndTime": day + "T09:00:00Z"}, 404, nil},
		{"finish job of unknown planning", "PUT", "/api/workshopplanning/2024-05-02/jobs/job-1/finish",
			map[string]string{"actualStartTime": day + "T08:00:00Z", "actualEndTime": day + "T09:00:00Z"}, 404, nil},
		{"finish end before start", "PUT", finish,
			map[string]string{"actualStartTime": day + "T09:00:00Z", "actualEndTime": day + "T08:00:00Z"}, 400, []string{"actualEndTime"}},
		{"finish missing times", "PUT", finish, map[string]string{}, 400, []string{"actualEndTime", "actualStartTime"}},
		{"finish notes with NUL", "PUT", finish,
			map[string]string{"actualStartTime": day + "T08:00:00Z", "actualEndTime": day + "T09:00:00Z", "notes": "a\u0000b"}, 400, []string{"notes"}},
		{"finish malformed", "PUT", finish, `[1,2`, 400, nil},
		{"method not allowed", "DELETE", jobs + "/job-1", nil, 405, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.stored()
			r := e.For(t).Do(tt.method, tt.path, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			p := r.Problem(t, tt.status)
			if p.Status != tt.status {
				t.Fatalf("problem status %d", p.Status)
			}
			if tt.fields != nil {
				got := servicetest.Fields(p)
				slices.Sort(got)
				if !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
			}
			if got := e.stored(); got != before {
				t.Fatalf("rejected request stored something: %v -> %v", before, got)
			}
		})
	}
	// The job is untouched by the rejected finishes.
	var j jobJSON
	r := e.Do("GET", jobs+"/job-1", nil)
	r.JSON(t, &j)
	if j.Status != "Planned" {
		t.Fatalf("job after rejected finishes: %+v", j)
	}
}

func TestUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	for _, path := range []string{"/api/workshopplanning/" + day + "/jobs", cancelPath(day, "a"), movePath(day, "a")} {
		r := e.Do("POST", path, `{}`, "Content-Type", "text/plain")
		r.Problem(t, http.StatusUnsupportedMediaType)
	}
}
