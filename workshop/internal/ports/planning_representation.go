package ports

import (
	"time"

	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// planningJSON is the planning representation of SYSTEM.md 4.
type planningJSON struct {
	PlanningDate string    `json:"planningDate"`
	Jobs         []jobJSON `json:"jobs"`
}

type jobCustomerJSON struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	TelephoneNumber string `json:"telephoneNumber"`
}

type jobVehicleJSON struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
}

// jobJSON is the job representation; the actual times and notes appear once the job
// is Completed, the reason once it is Cancelled, where it went once it is Moved.
type jobJSON struct {
	JobID           string          `json:"jobId"`
	StartTime       string          `json:"startTime"`
	EndTime         string          `json:"endTime"`
	Description     string          `json:"description"`
	Customer        jobCustomerJSON `json:"customer"`
	Vehicle         jobVehicleJSON  `json:"vehicle"`
	Status          string          `json:"status"`
	ActualStartTime *string         `json:"actualStartTime,omitempty"`
	ActualEndTime   *string         `json:"actualEndTime,omitempty"`
	Notes           *string         `json:"notes,omitempty"`
	// CancellationReason is present exactly when the job is Cancelled (possibly "").
	CancellationReason *string `json:"cancellationReason,omitempty"`
	// MovedTo is present exactly when the job is Moved: the day and id it went to.
	MovedTo *movedToJSON `json:"movedTo,omitempty"`
}

type movedToJSON struct {
	PlanningDate string `json:"planningDate"`
	JobID        string `json:"jobId"`
}

func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

func toJobJSON(j domain.MaintenanceJob) jobJSON {
	c, v := j.Customer(), j.Vehicle()
	out := jobJSON{
		JobID:       j.ID().String(),
		StartTime:   formatTime(j.Slot().Start()),
		EndTime:     formatTime(j.Slot().End()),
		Description: j.Description(),
		Customer:    jobCustomerJSON{CustomerID: c.ID(), Name: c.Name(), TelephoneNumber: c.TelephoneNumber()},
		Vehicle:     jobVehicleJSON{LicenseNumber: v.LicenseNumber().String(), Brand: v.Brand(), Type: v.Type()},
		Status:      j.Status().String(),
	}
	if actual, ok := j.ActualSlot(); ok {
		s, e, n := formatTime(actual.Start()), formatTime(actual.End()), j.Notes()
		out.ActualStartTime, out.ActualEndTime, out.Notes = &s, &e, &n
	}
	if reason, ok := j.CancellationReason(); ok {
		out.CancellationReason = &reason
	}
	if d, id, ok := j.MovedTo(); ok {
		out.MovedTo = &movedToJSON{PlanningDate: d.String(), JobID: id.String()}
	}
	return out
}

func toPlanningJSON(p *domain.WorkshopPlanning) planningJSON {
	jobs := p.Jobs()
	out := planningJSON{PlanningDate: p.Date().String(), Jobs: make([]jobJSON, 0, len(jobs))}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, toJobJSON(j))
	}
	return out
}

// historyJSON is one entry of the maintenance history: a job on its planning day.
type historyJSON struct {
	PlanningDate string `json:"planningDate"`
	jobJSON
}

func toHistoryJSON(h application.HistoryEntry) historyJSON {
	out := historyJSON{PlanningDate: h.PlanningDate, jobJSON: jobJSON{
		JobID:       h.JobID,
		StartTime:   h.StartTime,
		EndTime:     h.EndTime,
		Description: h.Description,
		Customer:    jobCustomerJSON{CustomerID: h.CustomerID, Name: h.CustomerName, TelephoneNumber: h.CustomerTelephone},
		Vehicle:     jobVehicleJSON{LicenseNumber: h.LicenseNumber, Brand: h.Brand, Type: h.VehicleType},
		Status:      h.Status,
	}}
	if h.Status == domain.StatusCompleted.String() {
		out.ActualStartTime, out.ActualEndTime, out.Notes = h.ActualStartTime, h.ActualEndTime, h.Notes
	}
	if h.Status == domain.StatusCancelled.String() {
		out.CancellationReason = h.CancellationReason
		if out.CancellationReason == nil {
			out.CancellationReason = new(string)
		}
	}
	if h.Status == domain.StatusMoved.String() && h.MovedToDate != nil && h.MovedToJobID != nil {
		out.MovedTo = &movedToJSON{PlanningDate: *h.MovedToDate, JobID: *h.MovedToJobID}
	}
	return out
}
