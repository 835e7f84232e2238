package domain

// JobStatus is the state of a maintenance job. Its values are StatusPlanned and
// StatusCompleted; the zero value is not a status.
type JobStatus struct {
	name string
}

// The job statuses.
var (
	// StatusPlanned is a job that has been planned and not finished yet.
	StatusPlanned = JobStatus{name: "Planned"}
	// StatusCompleted is a job a mechanic has finished.
	StatusCompleted = JobStatus{name: "Completed"}
)

// String returns the status name as used in the API ("Planned", "Completed").
func (s JobStatus) String() string { return s.name }
