package apiclient

import (
	"context"
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
)

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
