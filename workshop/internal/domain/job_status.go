package domain

// JobStatus is the state of a maintenance job. Its values are StatusPlanned,
// StatusCompleted, StatusCancelled and StatusMoved; the zero value is not a status.
type JobStatus struct {
	name string
}

// The job statuses.
var (
	// StatusPlanned is a job that has been planned and not finished yet (a job moved to
	// another time on its own day stays Planned).
	StatusPlanned = JobStatus{name: "Planned"}
	// StatusCompleted is a job a mechanic has finished.
	StatusCompleted = JobStatus{name: "Completed"}
	// StatusCancelled is a planned job that was cancelled: it stays in the planning's
	// history but no longer takes up a workstation or its vehicle.
	StatusCancelled = JobStatus{name: "Cancelled"}
	// StatusMoved is a job moved to another day: it stays in this planning's history,
	// saying where it went, and no longer takes up a workstation or its vehicle here.
	StatusMoved = JobStatus{name: "Moved"}
)

// String returns the status name as used in the API ("Planned", "Completed",
// "Cancelled", "Moved").
func (s JobStatus) String() string { return s.name }

// occupiesSlot reports whether a job in this status takes up its slot for the rules
// (parallel jobs, vehicle double-booking): planned and finished jobs do, cancelled and
// moved-away ones do not.
func (s JobStatus) occupiesSlot() bool { return s == StatusPlanned || s == StatusCompleted }
