package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// JobCustomer is the customer of a maintenance job.
type JobCustomer struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	TelephoneNumber string `json:"telephoneNumber"`
}

// JobVehicle is the vehicle of a maintenance job.
type JobVehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
}

// Job statuses.
const (
	StatusPlanned   = "Planned"
	StatusCompleted = "Completed"
	StatusCancelled = "Cancelled"
	StatusMoved     = "Moved"
)

// MovedTo is where a job moved to another day went.
type MovedTo struct {
	PlanningDate string `json:"planningDate"`
	JobID        string `json:"jobId"`
}

// Job is a maintenance job; the actual times and notes are set once it is Completed.
// Times are RFC 3339.
type Job struct {
	JobID           string      `json:"jobId"`
	StartTime       string      `json:"startTime"`
	EndTime         string      `json:"endTime"`
	Description     string      `json:"description"`
	Customer        JobCustomer `json:"customer"`
	Vehicle         JobVehicle  `json:"vehicle"`
	Status          string      `json:"status"`
	ActualStartTime string      `json:"actualStartTime,omitempty"`
	ActualEndTime   string      `json:"actualEndTime,omitempty"`
	Notes           string      `json:"notes,omitempty"`
	// CancellationReason is set when it is Cancelled (may be empty), MovedTo when it
	// is Moved to another day.
	CancellationReason string   `json:"cancellationReason,omitempty"`
	MovedTo            *MovedTo `json:"movedTo,omitempty"`
}

// HistoryItem is a job on its planning day, as in the maintenance history.
type HistoryItem struct {
	Job
	PlanningDate string `json:"planningDate"`
}

// CancelJob is the body of a cancel-job request.
type CancelJob struct {
	Reason string `json:"reason,omitempty"`
}

// MoveJob is the body of a move-job request; PlanningDate "" keeps the job's day.
type MoveJob struct {
	PlanningDate string `json:"planningDate,omitempty"`
	StartTime    string `json:"startTime"`
	EndTime      string `json:"endTime"`
}

// Planning is the workshop planning of one day.
type Planning struct {
	PlanningDate string `json:"planningDate"`
	Jobs         []Job  `json:"jobs"`
}

// PlanJob is the body of a plan-job request; JobID makes it idempotent.
type PlanJob struct {
	JobID       string      `json:"jobId,omitempty"`
	StartTime   string      `json:"startTime"`
	EndTime     string      `json:"endTime"`
	Description string      `json:"description"`
	Customer    JobCustomer `json:"customer"`
	Vehicle     JobVehicle  `json:"vehicle"`
}

// FinishJob is the body of a finish-job request.
type FinishJob struct {
	ActualStartTime string `json:"actualStartTime"`
	ActualEndTime   string `json:"actualEndTime"`
	Notes           string `json:"notes"`
}

// Workshop is the client of /api/workshopplanning and /api/refdata.
type Workshop struct{ c client }

// NewWorkshop returns the client sending its requests through rt.
func NewWorkshop(rt http.RoundTripper) *Workshop { return &Workshop{newClient("workshop", rt)} }

func planningPath(date string) string { return "/api/workshopplanning/" + url.PathEscape(date) }

// Planning returns the planning of date (a 404 *Problem when nothing was planned yet).
func (w *Workshop) Planning(ctx context.Context, date string) (Planning, error) {
	var out Planning
	err := w.c.do(ctx, http.MethodGet, planningPath(date), nil, nil, &out)
	return out, err
}

// Job returns one job of date's planning.
func (w *Workshop) Job(ctx context.Context, date, jobID string) (Job, error) {
	var out Job
	err := w.c.do(ctx, http.MethodGet, planningPath(date)+"/jobs/"+url.PathEscape(jobID), nil, nil, &out)
	return out, err
}

// PlanJob plans in on date and returns the planning.
func (w *Workshop) PlanJob(ctx context.Context, date string, in PlanJob) (Planning, error) {
	var out Planning
	err := w.c.do(ctx, http.MethodPost, planningPath(date)+"/jobs", nil, in, &out)
	return out, err
}

// FinishJob records a job's actual times and notes and returns the job.
func (w *Workshop) FinishJob(ctx context.Context, date, jobID string, in FinishJob) (Job, error) {
	var out Job
	err := w.c.do(ctx, http.MethodPut, planningPath(date)+"/jobs/"+url.PathEscape(jobID)+"/finish", nil, in, &out)
	return out, err
}

// RefVehicles returns up to max vehicles the workshop knows.
func (w *Workshop) RefVehicles(ctx context.Context, max int) ([]Vehicle, error) {
	return all(ctx, max, func(ctx context.Context, cursor string) (Page[Vehicle], error) {
		var p Page[Vehicle]
		err := w.c.do(ctx, http.MethodGet, "/api/refdata/vehicles", pageQuery(cursor, 200), nil, &p)
		return p, err
	})
}

// RefCustomers returns up to max customers the workshop knows.
func (w *Workshop) RefCustomers(ctx context.Context, max int) ([]Customer, error) {
	return all(ctx, max, func(ctx context.Context, cursor string) (Page[Customer], error) {
		var p Page[Customer]
		err := w.c.do(ctx, http.MethodGet, "/api/refdata/customers", pageQuery(cursor, 200), nil, &p)
		return p, err
	})
}

// RefVehicle returns one vehicle the workshop knows (a 404 *Problem when unknown).
func (w *Workshop) RefVehicle(ctx context.Context, licenseNumber string) (Vehicle, error) {
	var out Vehicle
	err := w.c.do(ctx, http.MethodGet, "/api/refdata/vehicles/"+url.PathEscape(licenseNumber), nil, nil, &out)
	return out, err
}

// RefCustomer returns one customer the workshop knows (a 404 *Problem when unknown).
func (w *Workshop) RefCustomer(ctx context.Context, id string) (Customer, error) {
	var out Customer
	err := w.c.do(ctx, http.MethodGet, "/api/refdata/customers/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// JobWithETag returns one job of date's planning and the planning's ETag (its
// version), to send back with a cancel or move.
func (w *Workshop) JobWithETag(ctx context.Context, date, jobID string) (Job, string, error) {
	var out Job
	var etag string
	err := w.c.wrap(nil, &etag).do(ctx, http.MethodGet, planningPath(date)+"/jobs/"+url.PathEscape(jobID), nil, nil, &out)
	return out, etag, err
}

// ifMatch is w's client sending If-Match: etag when etag is not empty.
func (w *Workshop) ifMatch(etag string) client {
	if etag == "" {
		return w.c
	}
	return w.c.withHeader("If-Match", etag)
}

// CancelJob cancels a planned job (If-Match etag when not empty) and returns it.
func (w *Workshop) CancelJob(ctx context.Context, date, jobID, etag string, in CancelJob) (Job, error) {
	var out Job
	err := w.ifMatch(etag).do(ctx, http.MethodPost, planningPath(date)+"/jobs/"+url.PathEscape(jobID)+"/cancel", nil, in, &out)
	return out, err
}

// MoveJob moves a planned job (If-Match etag when not empty) and returns it at its
// new place.
func (w *Workshop) MoveJob(ctx context.Context, date, jobID, etag string, in MoveJob) (Job, error) {
	var out Job
	err := w.ifMatch(etag).do(ctx, http.MethodPost, planningPath(date)+"/jobs/"+url.PathEscape(jobID)+"/move", nil, in, &out)
	return out, err
}

// HistoryQuery names whose maintenance history to read: a vehicle's or a customer's.
type HistoryQuery struct {
	LicenseNumber, CustomerID string
}

// History returns one page of a vehicle's or a customer's jobs on every day, newest first.
func (w *Workshop) History(ctx context.Context, q HistoryQuery, cursor string, limit int) (Page[HistoryItem], error) {
	query := pageQuery(cursor, limit)
	setNonEmpty(query, "licenseNumber", q.LicenseNumber)
	setNonEmpty(query, "customerId", q.CustomerID)
	var p Page[HistoryItem]
	err := w.c.do(ctx, http.MethodGet, "/api/workshopplanning/history", query, nil, &p)
	return p, err
}

// SearchRefCustomers returns one page of the customers the workshop knows whose name
// contains q (ignoring case), by name.
func (w *Workshop) SearchRefCustomers(ctx context.Context, q string, limit int) (Page[Customer], error) {
	query := pageQuery("", limit)
	setNonEmpty(query, "q", q)
	var p Page[Customer]
	err := w.c.do(ctx, http.MethodGet, "/api/refdata/customers", query, nil, &p)
	return p, err
}

// SearchRefVehicles returns one page of the vehicles the workshop knows whose licence
// number, brand or type contains q (ignoring case), of customerID when not empty.
func (w *Workshop) SearchRefVehicles(ctx context.Context, q, customerID string, limit int) (Page[Vehicle], error) {
	query := pageQuery("", limit)
	setNonEmpty(query, "q", q)
	setNonEmpty(query, "customerId", customerID)
	var p Page[Vehicle]
	err := w.c.do(ctx, http.MethodGet, "/api/refdata/vehicles", query, nil, &p)
	return p, err
}

// MarshalJSON encodes j as the API does: a Cancelled job always has its
// cancellationReason, even an empty one (the webapp's test fakes answer with it).
func (j Job) MarshalJSON() ([]byte, error) {
	type plain Job
	b, err := json.Marshal(plain(j))
	if err != nil || j.Status != StatusCancelled || j.CancellationReason != "" {
		return b, err
	}
	return append(b[:len(b)-1], `,"cancellationReason":""}`...), nil
}

// MarshalJSON encodes the item as the API does: the job's members and planningDate.
func (it HistoryItem) MarshalJSON() ([]byte, error) {
	b, err := it.Job.MarshalJSON()
	if err != nil {
		return nil, err
	}
	d, err := json.Marshal(it.PlanningDate)
	if err != nil {
		return nil, err
	}
	return append(append(append(b[:len(b)-1], `,"planningDate":`...), d...), '}'), nil
}
