// Package domain is the workshop's model: the event-sourced WorkshopPlanning aggregate
// (one per calendar day), its maintenance jobs, the value objects they are built from,
// the events the aggregate records and the errors its rules return.
//
// The aggregate is decide + apply: a command method (PlanMaintenanceJob,
// FinishMaintenanceJob, CancelMaintenanceJob, MoveMaintenanceJob, MoveMaintenanceJobTo,
// NewWorkshopPlanning) checks the rules against the current state and records new
// events; apply mutates the state from one event; RehydratePlanning replays stored
// events through the very same apply. A move to another day is decided on both days'
// plannings at once (MoveMaintenanceJobTo records on each), which the repository saves
// in one transaction. The package imports no adapter.
package domain
