package domain

import "time"

// JobDetails describe a planned maintenance job as the workshop announced it
// (MaintenanceJobPlanned). Start and End carry the offset they were planned in: the
// garage's local time, which is what a reminder shows.
type JobDetails struct {
	JobID         string
	PlanningDate  Date
	CustomerID    string
	Description   string
	LicenseNumber string
	Start, End    time.Time
}

// Job is a planned maintenance job, what a reminder lists. The zero value is not valid;
// use NewJob.
type Job struct {
	d JobDetails
}

// NewJob checks d: the job id, customer id and planning date are required, both times
// must be set with the end after the start, the ids and the licence number must be
// printable and the description storable (valid UTF-8, no NUL), and every text is
// bounded (Max...Length). The error is a
// *ValidationError wrapping ErrInvalidJob.
func NewJob(d JobDetails) (Job, error) {
	verr := &ValidationError{Of: ErrInvalidJob}
	required(verr, FieldJobID, d.JobID)
	bounded(verr, FieldJobID, d.JobID, MaxIDLength)
	if d.PlanningDate.IsZero() {
		verr.Add(FieldPlanningDate, "is required")
	}
	required(verr, FieldCustomerID, d.CustomerID)
	bounded(verr, FieldCustomerID, d.CustomerID, MaxIDLength)
	storable(verr, FieldDescription, d.Description)
	bounded(verr, FieldDescription, d.Description, MaxDescriptionLength)
	printable(verr, FieldLicenseNumber, d.LicenseNumber)
	bounded(verr, FieldLicenseNumber, d.LicenseNumber, MaxLicenseNumberLength)
	switch {
	case d.Start.IsZero():
		verr.Add(FieldStartTime, "is required")
	case d.End.IsZero():
		verr.Add(FieldEndTime, "is required")
	case !d.End.After(d.Start):
		verr.Add(FieldEndTime, "must be after startTime")
	}
	if err := verr.OrNil(); err != nil {
		return Job{}, err
	}
	return Job{d: d}, nil
}

// ID is the workshop's job id.
func (j Job) ID() string { return j.d.JobID }

// PlanningDate is the day the job is planned on.
func (j Job) PlanningDate() Date { return j.d.PlanningDate }

// CustomerID is the customer the job is for.
func (j Job) CustomerID() string { return j.d.CustomerID }

// Description is what the job is for.
func (j Job) Description() string { return j.d.Description }

// LicenseNumber is the vehicle's licence number.
func (j Job) LicenseNumber() string { return j.d.LicenseNumber }

// Start is the planned start, in the offset it was planned in.
func (j Job) Start() time.Time { return j.d.Start }

// End is the planned end, in the offset it was planned in.
func (j Job) End() time.Time { return j.d.End }

// Details returns all fields.
func (j Job) Details() JobDetails { return j.d }

// JobKey identifies a job: its id within its planning's day. The zero value is not
// valid; use NewJobKey.
type JobKey struct {
	planningDate Date
	jobID        string
}

// NewJobKey checks that the job id is present and printable and the date set; the
// error is a *ValidationError wrapping ErrInvalidJob.
func NewJobKey(planningDate Date, jobID string) (JobKey, error) {
	verr := &ValidationError{Of: ErrInvalidJob}
	required(verr, FieldJobID, jobID)
	bounded(verr, FieldJobID, jobID, MaxIDLength)
	if planningDate.IsZero() {
		verr.Add(FieldPlanningDate, "is required")
	}
	if err := verr.OrNil(); err != nil {
		return JobKey{}, err
	}
	return JobKey{planningDate: planningDate, jobID: jobID}, nil
}

// PlanningDate is the day of the job's planning.
func (k JobKey) PlanningDate() Date { return k.planningDate }

// JobID is the workshop's job id.
func (k JobKey) JobID() string { return k.jobID }

// Key is the job's JobKey.
func (j Job) Key() JobKey { return JobKey{planningDate: j.d.PlanningDate, jobID: j.d.JobID} }
