package domain

// Event is one fact recorded by a WorkshopPlanning. The set is closed: the three types
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

func (WorkshopPlanningCreated) isWorkshopEvent() {}
func (MaintenanceJobPlanned) isWorkshopEvent()   {}
func (MaintenanceJobFinished) isWorkshopEvent()  {}
