package ports

import (
	"time"

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
// is Completed.
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
