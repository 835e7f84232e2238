// Package workshopevents is the workshop context's event contract.
package workshopevents

// Source is the CloudEvents source of workshop events.
const Source = "pitstop/workshop"

// Subjects (and CloudEvents types) of workshop events.
const (
	SubjectWorkshopPlanningCreated = "pitstop.workshop.WorkshopPlanningCreated"
	SubjectMaintenanceJobPlanned   = "pitstop.workshop.MaintenanceJobPlanned"
	SubjectMaintenanceJobFinished  = "pitstop.workshop.MaintenanceJobFinished"
	// SubjectAll matches every workshop event.
	SubjectAll = "pitstop.workshop.>"
)

// WorkshopPlanningCreated is published when the planning of a day is created.
// PlanningDate is YYYY-MM-DD.
type WorkshopPlanningCreated struct {
	PlanningDate string `json:"planningDate"`
}

// EventType implements events.Payload.
func (WorkshopPlanningCreated) EventType() string { return SubjectWorkshopPlanningCreated }

// EventSubject implements events.Payload.
func (e WorkshopPlanningCreated) EventSubject() string { return e.PlanningDate }

// JobCustomer is the customer as known to the workshop when the job was planned.
type JobCustomer struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	TelephoneNumber string `json:"telephoneNumber"`
}

// JobVehicle is the vehicle as known to the workshop when the job was planned.
type JobVehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
}

// MaintenanceJobPlanned is published when a job is planned. Times are RFC 3339 with offset.
type MaintenanceJobPlanned struct {
	PlanningDate string      `json:"planningDate"`
	JobID        string      `json:"jobId"`
	StartTime    string      `json:"startTime"`
	EndTime      string      `json:"endTime"`
	Description  string      `json:"description"`
	Customer     JobCustomer `json:"customer"`
	Vehicle      JobVehicle  `json:"vehicle"`
}

// EventType implements events.Payload.
func (MaintenanceJobPlanned) EventType() string { return SubjectMaintenanceJobPlanned }

// EventSubject implements events.Payload: the planning date (the aggregate id).
func (e MaintenanceJobPlanned) EventSubject() string { return e.PlanningDate }

// MaintenanceJobFinished is published when a mechanic finishes a job.
type MaintenanceJobFinished struct {
	PlanningDate    string `json:"planningDate"`
	JobID           string `json:"jobId"`
	ActualStartTime string `json:"actualStartTime"`
	ActualEndTime   string `json:"actualEndTime"`
	Notes           string `json:"notes"`
}

// EventType implements events.Payload.
func (MaintenanceJobFinished) EventType() string { return SubjectMaintenanceJobFinished }

// EventSubject implements events.Payload: the planning date (the aggregate id).
func (e MaintenanceJobFinished) EventSubject() string { return e.PlanningDate }
