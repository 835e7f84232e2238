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

// Subjects of the events of a planned job's life after planning: cancelled, or moved to
// another time on its day or to another day.
const (
	SubjectMaintenanceJobCancelled = "pitstop.workshop.MaintenanceJobCancelled"
	SubjectMaintenanceJobMoved     = "pitstop.workshop.MaintenanceJobMoved"
)

// MaintenanceJobCancelled is published when a planned (not yet finished) job is
// cancelled. The job stays in its day's history with status Cancelled; it is never
// reminded of, finished or invoiced.
type MaintenanceJobCancelled struct {
	PlanningDate string `json:"planningDate"`
	JobID        string `json:"jobId"`
	Reason       string `json:"reason,omitempty"`
}

// EventType implements events.Payload.
func (MaintenanceJobCancelled) EventType() string { return SubjectMaintenanceJobCancelled }

// EventSubject implements events.Payload: the planning date (the aggregate id).
func (e MaintenanceJobCancelled) EventSubject() string { return e.PlanningDate }

// MaintenanceJobMoved is published on the job's original day when a planned job is
// moved. When ToPlanningDate equals PlanningDate the job keeps its id and day and only
// its times change (StartTime, EndTime: RFC 3339 with offset). When it differs, the job
// leaves PlanningDate (consumers forget it there) and the same transaction publishes a
// MaintenanceJobPlanned on ToPlanningDate for job ToJobID, with the job's customer,
// vehicle and description, which consumers treat as any newly planned job.
//
// The workshop keeps the job's id when it moves a job (ToJobID == JobID, also to another
// day; a move onto a day that already has a job with that id is refused), so a job is
// identified by (planning date, job id) and its id alone says which job it was.
type MaintenanceJobMoved struct {
	PlanningDate   string `json:"planningDate"`
	JobID          string `json:"jobId"`
	ToPlanningDate string `json:"toPlanningDate"`
	ToJobID        string `json:"toJobId"`
	StartTime      string `json:"startTime"`
	EndTime        string `json:"endTime"`
}

// EventType implements events.Payload.
func (MaintenanceJobMoved) EventType() string { return SubjectMaintenanceJobMoved }

// EventSubject implements events.Payload: the planning date the job leaves or stays on.
func (e MaintenanceJobMoved) EventSubject() string { return e.PlanningDate }
