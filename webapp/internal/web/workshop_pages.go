package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const workshopService = "workshop"

// Layouts of the workshop forms' values.
const (
	dateLayout = time.DateOnly
	timeLayout = "15:04"
)

// Default slot of a new job.
const (
	defaultStart = "08:00"
	defaultEnd   = "10:00"
)

// today is the current date in the garage's time zone.
func (h *Handlers) today() string { return h.Now().In(h.Location).Format(dateLayout) }

// parseDate parses a YYYY-MM-DD date in the garage's time zone.
func (h *Handlers) parseDate(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(dateLayout, s, h.Location)
	return t, err == nil && t.Format(dateLayout) == s
}

// at is the time hh:mm on date in the garage's time zone.
func (h *Handlers) at(date, hhmm string) (time.Time, bool) {
	if len(hhmm) == len("15:04:05") && strings.HasSuffix(hhmm, ":00") { // some browsers send seconds
		hhmm = hhmm[:5]
	}
	t, err := time.ParseInLocation(dateLayout+" "+timeLayout, date+" "+hhmm, h.Location)
	if err != nil || t.Format(timeLayout) != hhmm {
		return time.Time{}, false
	}
	return t, true
}

// clock is the hh:mm of an RFC 3339 time in the garage's time zone ("" if unparsable).
func (h *Handlers) clock(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return ""
	}
	return t.In(h.Location).Format(timeLayout)
}

// jobView is a job as the pages show it.
type jobView struct {
	apiclient.Job
	Date                   string
	Start, End             string
	ActualStart, ActualEnd string
	Completed              bool
	// Planned is set while the job can still be finished, cancelled or moved.
	Planned bool
}

func (h *Handlers) jobView(date string, j apiclient.Job) jobView {
	return jobView{Job: j, Date: date, Start: h.clock(j.StartTime), End: h.clock(j.EndTime),
		ActualStart: h.clock(j.ActualStartTime), ActualEnd: h.clock(j.ActualEndTime),
		Completed: j.Status == apiclient.StatusCompleted, Planned: j.Status == apiclient.StatusPlanned}
}

type dayData struct {
	Layout
	Date, DateLabel      string
	Prev, Next, Today    string
	IsToday, CanSchedule bool
	Jobs                 []jobView
	Live                 bool
}

func (h *Handlers) workshopToday(w http.ResponseWriter, r *http.Request) {
	seeOther(w, r, "/workshop/"+h.today())
}

// day loads the day view's data; ok is false when an answer was sent.
func (h *Handlers) day(w http.ResponseWriter, r *http.Request) (dayData, bool) {
	date := chi.URLParam(r, "date")
	t, ok := h.parseDate(date)
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "No such day", date+" is not a date (YYYY-MM-DD).")
		return dayData{}, false
	}
	p, err := h.Workshop.Planning(r.Context(), date)
	if err != nil && !apiclient.IsStatus(err, http.StatusNotFound) { // 404: nothing planned yet
		h.fail(w, r, "workshop", workshopService, "planning", err)
		return dayData{}, false
	}
	today := h.today()
	d := dayData{Layout: Layout{Title: "Workshop " + date, Nav: "workshop"}, Date: date,
		DateLabel: t.Format(dayLabel), Prev: t.AddDate(0, 0, -1).Format(dateLayout),
		Next: t.AddDate(0, 0, 1).Format(dateLayout), Today: today, IsToday: date == today,
		CanSchedule: date >= today, Live: h.Hub != nil}
	for _, j := range p.Jobs {
		d.Jobs = append(d.Jobs, h.jobView(date, j))
	}
	sort.SliceStable(d.Jobs, func(i, k int) bool {
		a, b := d.Jobs[i], d.Jobs[k]
		if a.StartTime != b.StartTime {
			return startOf(a) < startOf(b)
		}
		return a.EndTime < b.EndTime
	})
	return d, true
}

// startOf orders jobs by their start instant whatever the offsets.
func startOf(j jobView) int64 {
	t, _ := time.Parse(time.RFC3339, j.StartTime)
	return t.UnixNano()
}

func (h *Handlers) dayView(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.day(w, r); ok {
		h.render(w, r, http.StatusOK, "workshop_day.html", d)
	}
}

// jobList is the day view's job list alone, which the page reloads on a live update.
func (h *Handlers) jobList(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.day(w, r); ok {
		h.renderTemplate(w, r, http.StatusOK, "workshop_day.html", "joblist", d)
	}
}

type jobData struct {
	Layout
	Job jobView
	// ETag is the planning's version the cancel and move forms carry; CancelForm and
	// MoveForm are those forms (with their errors after a refused submit).
	ETag                 string
	CancelForm, MoveForm *Form
}

func (h *Handlers) loadJob(w http.ResponseWriter, r *http.Request) (jobView, bool) {
	date, id := chi.URLParam(r, "date"), chi.URLParam(r, "jobId")
	if _, ok := h.parseDate(date); !ok {
		h.errorPage(w, r, http.StatusNotFound, "Job not found", "There is no such maintenance job.")
		return jobView{}, false
	}
	j, err := h.Workshop.Job(r.Context(), date, id)
	if err != nil {
		h.fail(w, r, "workshop", workshopService, "maintenance job", err)
		return jobView{}, false
	}
	return h.jobView(date, j), true
}

func (h *Handlers) showJob(w http.ResponseWriter, r *http.Request) {
	h.renderJob(w, r, http.StatusOK, nil, nil)
}

// jobFormData is the data of the schedule-a-job form.
type jobFormData struct {
	Layout
	Form     *Form
	Today    string
	Vehicles []option
}

// jobFieldMap maps the workshop API's field names to the schedule form's.
var jobFieldMap = map[string]string{
	"date": "date", "startTime": "startTime", "endTime": "endTime", "description": "description",
	"vehicle.licenseNumber": "licenseNumber", "vehicle.brand": "licenseNumber", "vehicle.type": "licenseNumber",
}

// VehiclePicker is the vehicle's type-ahead picker.
func (d jobFormData) VehiclePicker() pickerView {
	return newPicker(d.Form, "licenseNumber", "Vehicle", "/pick/vehicles", d.Vehicles)
}

// vehicleOptions are the vehicles the job form's picker offers before the user types
// (the first the workshop knows, and the chosen one), labelled with their owners'
// names when the workshop knows them; the picker asks /pick/vehicles for the others.
func (h *Handlers) vehicleOptions(ctx context.Context, chosen string) ([]option, error) {
	page, err := h.Workshop.SearchRefVehicles(ctx, "", "", pickerOptions)
	if err != nil {
		return nil, err
	}
	vs := page.Items
	found := chosen == ""
	for _, v := range vs {
		found = found || strings.EqualFold(v.LicenseNumber, chosen)
	}
	if !found {
		if v, err := h.Workshop.RefVehicle(ctx, chosen); err == nil {
			vs = append([]apiclient.Vehicle{v}, vs...)
		}
	}
	return h.vehicleLabels(ctx, vs), nil
}

// vehicleLabels are vs as picker entries, with the owners' names the workshop knows
// (looked up concurrently, each owner once).
func (h *Handlers) vehicleLabels(ctx context.Context, vs []apiclient.Vehicle) []option {
	owners := map[string]string{}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	for _, v := range vs {
		if _, dup := owners[v.OwnerID]; dup || v.OwnerID == "" {
			continue
		}
		owners[v.OwnerID] = ""
	}
	for id := range owners {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if c, err := h.Workshop.RefCustomer(ctx, id); err == nil {
				mu.Lock()
				owners[id] = c.Name
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	out := make([]option, 0, len(vs))
	for _, v := range vs {
		label := v.LicenseNumber + " · " + v.Brand + " " + v.Type
		if n := owners[v.OwnerID]; n != "" {
			label += " (" + n + ")"
		}
		out = append(out, option{Value: v.LicenseNumber, Label: label})
	}
	return out
}

func (h *Handlers) newJob(w http.ResponseWriter, r *http.Request) {
	vehicles, err := h.vehicleOptions(r.Context(), r.URL.Query().Get("licenseNumber"))
	if err != nil {
		h.fail(w, r, "workshop", workshopService, "vehicle list", err)
		return
	}
	today := h.today()
	date := r.URL.Query().Get("date")
	if _, ok := h.parseDate(date); !ok || date < today {
		date = today
	}
	// The job id is fixed now, once per form: a repeated submit plans this same job.
	f := newForm(url.Values{"jobId": {uuid.NewString()}, "date": {date}, "startTime": {defaultStart},
		"endTime": {defaultEnd}, "licenseNumber": {r.URL.Query().Get("licenseNumber")}})
	h.render(w, r, http.StatusOK, "job_form.html", jobFormData{Layout: Layout{Title: "Schedule a job", Nav: "workshop"},
		Form: f, Today: today, Vehicles: vehicles})
}

func (h *Handlers) scheduleJob(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	status, planned := h.planJob(r, f)
	if planned {
		seeOther(w, r, "/workshop/"+url.PathEscape(f.Get("date"))+"#job-"+url.PathEscape(f.Get("jobId")))
		return
	}
	vehicles, err := h.vehicleOptions(r.Context(), f.trimmed("licenseNumber"))
	if err != nil && f.Get("licenseNumber") != "" {
		vehicles = []option{{Value: f.Get("licenseNumber"), Label: f.Get("licenseNumber")}}
	}
	h.render(w, r, status, "job_form.html", jobFormData{Layout: Layout{Title: "Schedule a job", Nav: "workshop"},
		Form: f, Today: h.today(), Vehicles: vehicles})
}

// planJob validates the schedule form and plans the job; it returns the status of the
// re-rendered form when the job was not planned.
func (h *Handlers) planJob(r *http.Request, f *Form) (int, bool) {
	if _, err := uuid.Parse(f.trimmed("jobId")); err != nil {
		f.Set("jobId", uuid.NewString())
		f.FailGeneral("The form was incomplete; please check the data and submit again.")
	}
	date := f.trimmed("date")
	if _, ok := h.parseDate(date); !ok {
		f.Fail("date", "must be a date")
	} else if date < h.today() {
		f.Fail("date", "must be today or later")
	}
	start, okS := h.at(date, f.trimmed("startTime"))
	if !okS {
		f.Fail("startTime", "must be a time of day (HH:MM)")
	}
	end, okE := h.at(date, f.trimmed("endTime"))
	if !okE {
		f.Fail("endTime", "must be a time of day (HH:MM)")
	}
	if okS && okE && !end.After(start) {
		f.Fail("endTime", "must be after the start")
	}
	ln := f.trimmed("licenseNumber")
	if ln == "" {
		f.Fail("licenseNumber", "is required")
	}
	if strings.TrimSpace(f.Get("description")) == "" {
		f.Fail("description", "is required")
	}
	if !f.OK() {
		return http.StatusBadRequest, false
	}
	// The vehicle and its owner come from the workshop's own reference data, so that
	// planning works while the customers and vehicles services are down.
	v, err := h.Workshop.RefVehicle(r.Context(), ln)
	if err != nil {
		if apiclient.IsStatus(err, http.StatusNotFound) {
			f.Fail("licenseNumber", "is not a vehicle the workshop knows")
			return http.StatusBadRequest, false
		}
		return h.formFailed(r, f, workshopService, err, jobFieldMap), false
	}
	owner, err := h.Workshop.RefCustomer(r.Context(), v.OwnerID)
	if err != nil {
		if apiclient.IsStatus(err, http.StatusNotFound) {
			f.FailGeneral("The owner of " + v.LicenseNumber + " is not known to the workshop yet; try again in a moment.")
			return http.StatusConflict, false
		}
		return h.formFailed(r, f, workshopService, err, jobFieldMap), false
	}
	_, err = h.Workshop.PlanJob(r.Context(), date, apiclient.PlanJob{
		JobID: f.trimmed("jobId"), StartTime: start.Format(time.RFC3339), EndTime: end.Format(time.RFC3339), Description: f.Get("description"),
		Customer: apiclient.JobCustomer{CustomerID: owner.CustomerID, Name: owner.Name, TelephoneNumber: owner.TelephoneNumber},
		Vehicle:  apiclient.JobVehicle{LicenseNumber: v.LicenseNumber, Brand: v.Brand, Type: v.Type},
	})
	if err != nil {
		return h.formFailed(r, f, workshopService, err, jobFieldMap), false
	}
	return http.StatusSeeOther, true
}

type finishFormData struct {
	Layout
	Form *Form
	Job  jobView
}

// finishFieldMap maps the finish API's field names to the form's.
var finishFieldMap = identity("actualStartTime", "actualEndTime", "notes")

func (h *Handlers) finishJobForm(w http.ResponseWriter, r *http.Request) {
	j, ok := h.loadJob(w, r)
	if !ok {
		return
	}
	if j.Completed {
		seeOther(w, r, "/workshop/"+url.PathEscape(j.Date)+"/jobs/"+url.PathEscape(j.JobID))
		return
	}
	f := newForm(url.Values{"actualStartTime": {j.Start}, "actualEndTime": {j.End}})
	h.render(w, r, http.StatusOK, "finish_form.html", finishFormData{
		Layout: Layout{Title: "Finish job", Nav: "workshop"}, Form: f, Job: j})
}

func (h *Handlers) finishJob(w http.ResponseWriter, r *http.Request) {
	j, ok := h.loadJob(w, r)
	if !ok {
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	start, okS := h.at(j.Date, f.trimmed("actualStartTime"))
	if !okS {
		f.Fail("actualStartTime", "must be a time of day (HH:MM)")
	}
	end, okE := h.at(j.Date, f.trimmed("actualEndTime"))
	if !okE {
		f.Fail("actualEndTime", "must be a time of day (HH:MM)")
	}
	if okS && okE && !end.After(start) {
		f.Fail("actualEndTime", "must be after the start")
	}
	status := http.StatusBadRequest
	if f.OK() {
		in := apiclient.FinishJob{ActualStartTime: start.Format(time.RFC3339), ActualEndTime: end.Format(time.RFC3339), Notes: f.Get("notes")}
		_, err := h.Workshop.FinishJob(r.Context(), j.Date, j.JobID, in)
		if err == nil || (apiclient.IsStatus(err, http.StatusConflict) && h.finishedAs(r.Context(), j, in)) {
			// A repeated submit of this very form finds the job finished as asked: done.
			seeOther(w, r, "/workshop/"+url.PathEscape(j.Date)+"#job-"+url.PathEscape(j.JobID))
			return
		}
		if apiclient.IsStatus(err, http.StatusNotFound) {
			h.fail(w, r, "workshop", workshopService, "maintenance job", err)
			return
		}
		status = h.formFailed(r, f, workshopService, err, finishFieldMap)
	}
	h.render(w, r, status, "finish_form.html", finishFormData{
		Layout: Layout{Title: "Finish job", Nav: "workshop"}, Form: f, Job: j})
}

// finishedAs reports whether job j is now finished with exactly in's times and notes.
func (h *Handlers) finishedAs(ctx context.Context, j jobView, in apiclient.FinishJob) bool {
	now, err := h.Workshop.Job(ctx, j.Date, j.JobID)
	if err != nil || now.Status != apiclient.StatusCompleted || now.Notes != strings.TrimSpace(in.Notes) && now.Notes != in.Notes {
		return false
	}
	return sameInstant(now.ActualStartTime, in.ActualStartTime) && sameInstant(now.ActualEndTime, in.ActualEndTime)
}

func sameInstant(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	return errA == nil && errB == nil && ta.Equal(tb)
}
