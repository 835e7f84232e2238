package domain

// Event is one fact recorded by a WorkshopPlanning. The set is closed: the five types
// below are the only events; adapters map them to the serviceapis/workshopevents
// contract and back.
type Event interface {
	isWorkshopEvent()
}

// WorkshopPlanningCreated is always the first event of a planning.
type WorkshopPlanningCreated struct {
	Date PlanningDate
}

// MaintenanceJobPlanned records a job added to the planning.
type MaintenanceJobPlanned struct {
	JobID       JobID
	Slot        Timeslot
	Description string
	Customer    JobCustomer
	Vehicle     JobVehicle
}

// MaintenanceJobFinished records that a mechanic finished a job.
type MaintenanceJobFinished struct {
	JobID  JobID
	Actual Timeslot
	Notes  string
}

// MaintenanceJobCancelled records that a planned (not finished) job was cancelled. The
// job stays in the planning with status Cancelled and no longer takes up its slot.
type MaintenanceJobCancelled struct {
	JobID  JobID
	Reason string
}

// MaintenanceJobMoved records that a planned job was moved. When ToDate is the
// planning's own date the job keeps its id (ToJobID == JobID) and only its slot changes
// to Slot. Otherwise the job leaves this planning (it stays visible with status Moved
// and where it went) and the planning of ToDate records a MaintenanceJobPlanned of job
// ToJobID in Slot, in the same transaction.
type MaintenanceJobMoved struct {
	JobID   JobID
	ToDate  PlanningDate
	ToJobID JobID
	Slot    Timeslot
}

func (WorkshopPlanningCreated) isWorkshopEvent() {}
func (MaintenanceJobCancelled) isWorkshopEvent() {}
func (MaintenanceJobMoved) isWorkshopEvent()     {}
func (MaintenanceJobPlanned) isWorkshopEvent()   {}
func (MaintenanceJobFinished) isWorkshopEvent()  {}
