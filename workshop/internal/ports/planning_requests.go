package ports

import (
	"net/http"
	"time"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// planJobRequest is the body of POST /api/workshopplanning/{date}/jobs.
type planJobRequest struct {
	JobID       string `json:"jobId"`
	StartTime   string `json:"startTime"`
	EndTime     string `json:"endTime"`
	Description string `json:"description"`
	Customer    struct {
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

// finishJobRequest is the body of PUT /api/workshopplanning/{date}/jobs/{jobId}/finish.
type finishJobRequest struct {
	ActualStartTime string `json:"actualStartTime"`
	ActualEndTime   string `json:"actualEndTime"`
	Notes           string `json:"notes"`
}

const timeHint = "must be an RFC 3339 date-time with offset, e.g. 2024-05-01T08:00:00+02:00"

// parseTime parses a required RFC 3339 time, recording a field error if it is bad.
func parseTime(verr *problem.ValidationError, field, s string) (time.Time, bool) {
	if s == "" {
		verr.Add(field, "is required")
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		verr.Add(field, timeHint)
		return time.Time{}, false
	}
	return t, true
}

// parseSlot parses a start and end time into a Timeslot, recording field errors.
func parseSlot(verr *problem.ValidationError, startField, endField, start, end string) domain.Timeslot {
	s, okS := parseTime(verr, startField, start)
	e, okE := parseTime(verr, endField, end)
	if !okS || !okE {
		return domain.Timeslot{}
	}
	slot, err := domain.NewTimeslot(s, e)
	if err != nil {
		verr.Add(endField, "must be after "+startField)
	}
	return slot
}

func parseDate(verr *problem.ValidationError, s string) domain.PlanningDate {
	d, err := domain.ParsePlanningDate(s)
	addFieldErrors(verr, err, func(string) string { return "date" })
	return d
}

// decodePlanJob turns a plan-job request into the command. It returns a
// *httpx.DecodeError (400, 413, 415) for a body that is not the expected JSON, or a
// *problem.ValidationError listing every bad field (the path's date included); never
// anything that maps to a 5xx.
func decodePlanJob(r *http.Request, dateParam string) (application.PlanMaintenanceJob, error) {
	var req planJobRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return application.PlanMaintenanceJob{}, err
	}
	verr := &problem.ValidationError{}
	cmd := application.PlanMaintenanceJob{Date: parseDate(verr, dateParam), Description: req.Description}
	if req.JobID != "" {
		id, err := domain.NewJobID(req.JobID)
		addFieldErrors(verr, err, func(string) string { return "jobId" })
		cmd.JobID = id
	}
	cmd.Slot = parseSlot(verr, "startTime", "endTime", req.StartTime, req.EndTime)
	c := req.Customer
	cust, err := domain.NewJobCustomer(c.CustomerID, c.Name, c.TelephoneNumber)
	addFieldErrors(verr, err, prefixed("customer."))
	cmd.Customer = cust

	v := req.Vehicle
	var ln domain.LicenseNumber
	if v.LicenseNumber == "" {
		verr.Add("vehicle.licenseNumber", "is required")
	} else {
		ln, err = domain.NewLicenseNumber(v.LicenseNumber)
		addFieldErrors(verr, err, prefixed("vehicle."))
	}
	veh, err := domain.NewJobVehicle(ln, v.Brand, v.Type)
	addFieldErrors(verr, err, func(f string) string {
		if f == "licenseNumber" { // reported above
			return ""
		}
		return "vehicle." + f
	})
	cmd.Vehicle = veh

	// The job's own checks (the description); its other parts were reported above.
	_, err = domain.NewMaintenanceJob(cmd.JobID, cmd.Slot, cmd.Description, cmd.Customer, cmd.Vehicle)
	addFieldErrors(verr, err, func(f string) string {
		if f == "description" {
			return f
		}
		return ""
	})
	if err := verr.OrNil(); err != nil {
		return application.PlanMaintenanceJob{}, err
	}
	return cmd, nil
}

// decodeFinishJob turns a finish request into the command (errors as decodePlanJob).
// The notes are checked by the domain.
func decodeFinishJob(r *http.Request, dateParam string, id domain.JobID) (application.FinishMaintenanceJob, error) {
	var req finishJobRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return application.FinishMaintenanceJob{}, err
	}
	verr := &problem.ValidationError{}
	cmd := application.FinishMaintenanceJob{Date: parseDate(verr, dateParam), JobID: id, Notes: req.Notes}
	cmd.Actual = parseSlot(verr, "actualStartTime", "actualEndTime", req.ActualStartTime, req.ActualEndTime)
	if err := verr.OrNil(); err != nil {
		return application.FinishMaintenanceJob{}, err
	}
	return cmd, nil
}

// cancelJobRequest is the optional body of POST .../jobs/{jobId}/cancel.
type cancelJobRequest struct {
	Reason string `json:"reason"`
}

// moveJobRequest is the body of POST .../jobs/{jobId}/move.
type moveJobRequest struct {
	PlanningDate string `json:"planningDate"`
	StartTime    string `json:"startTime"`
	EndTime      string `json:"endTime"`
}

// decodeCancelJob turns a cancel request into the command (errors as decodePlanJob).
// The body is optional: none (or an empty one) cancels without a reason. The reason is
// checked by the domain (a 400 naming "reason").
func decodeCancelJob(r *http.Request, dateParam string, id domain.JobID) (application.CancelMaintenanceJob, error) {
	var req cancelJobRequest
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		if err := httpx.DecodeJSON(r, &req); err != nil {
			return application.CancelMaintenanceJob{}, err
		}
	}
	verr := &problem.ValidationError{}
	cmd := application.CancelMaintenanceJob{Date: parseDate(verr, dateParam), JobID: id, Reason: req.Reason}
	if err := verr.OrNil(); err != nil {
		return application.CancelMaintenanceJob{}, err
	}
	return cmd, nil
}

// decodeMoveJob turns a move request into the command (errors as decodePlanJob): the
// new day (optional, default the path's date) and the new start and end times.
func decodeMoveJob(r *http.Request, dateParam string, id domain.JobID) (application.MoveMaintenanceJob, error) {
	var req moveJobRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return application.MoveMaintenanceJob{}, err
	}
	verr := &problem.ValidationError{}
	cmd := application.MoveMaintenanceJob{Date: parseDate(verr, dateParam), JobID: id}
	if req.PlanningDate != "" {
		d, err := domain.ParsePlanningDate(req.PlanningDate)
		addFieldErrors(verr, err, func(string) string { return "planningDate" })
		cmd.ToDate = d
	}
	cmd.Slot = parseSlot(verr, "startTime", "endTime", req.StartTime, req.EndTime)
	if err := verr.OrNil(); err != nil {
		return application.MoveMaintenanceJob{}, err
	}
	return cmd, nil
}
