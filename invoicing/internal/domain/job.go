package domain

import (
	"fmt"
	"time"
)

// JobPlanInput is a planned maintenance job as the workshop announced it
// (MaintenanceJobPlanned).
type JobPlanInput struct {
	JobID         string
	PlanningDate  Date
	CustomerID    string
	Description   string
	LicenseNumber string
	Start, End    time.Time
}

// JobPlan is what invoicing keeps of a planned job: whose it is and what it was for.
// The zero value is not valid; use NewJobPlan.
type JobPlan struct {
	in JobPlanInput
}

// NewJobPlan checks in: the job and customer ids are required, the date and times must
// be set, and text must be printable. The planned times are kept for reference only
// (billing uses the actual times), so their order is the workshop's business. The
// error is a *ValidationError wrapping ErrInvalidJob.
func NewJobPlan(in JobPlanInput) (JobPlan, error) {
	verr := &ValidationError{Of: ErrInvalidJob}
	required(verr, FieldJobID, in.JobID)
	if in.PlanningDate.IsZero() {
		verr.Add(FieldPlanningDate, "is required")
	}
	required(verr, FieldCustomerID, in.CustomerID)
	printable(verr, FieldDescription, in.Description)
	printable(verr, FieldLicenseNumber, in.LicenseNumber)
	if in.Start.IsZero() {
		verr.Add(FieldStartTime, "is required")
	}
	if in.End.IsZero() {
		verr.Add(FieldEndTime, "is required")
	}
	if err := verr.OrNil(); err != nil {
		return JobPlan{}, err
	}
	return JobPlan{in: in}, nil
}

// JobID is the workshop's job id.
func (p JobPlan) JobID() string { return p.in.JobID }

// PlanningDate is the day the job was planned on.
func (p JobPlan) PlanningDate() Date { return p.in.PlanningDate }

// CustomerID is the customer the job is for.
func (p JobPlan) CustomerID() string { return p.in.CustomerID }

// Description is what the job was for.
func (p JobPlan) Description() string { return p.in.Description }

// LicenseNumber is the vehicle's licence number.
func (p JobPlan) LicenseNumber() string { return p.in.LicenseNumber }

// Start is the planned start.
func (p JobPlan) Start() time.Time { return p.in.Start }

// End is the planned end.
func (p JobPlan) End() time.Time { return p.in.End }

// JobFinish is a job's completion as the workshop announced it
// (MaintenanceJobFinished): the actual times the garage bills. The zero value is not
// valid; use NewJobFinish.
type JobFinish struct {
	jobID        string
	planningDate Date
	start, end   time.Time
	amount       Money
}

// NewJobFinish checks a completion: the job id is required, both times must be set, the
// end must not be before the start, and the duration must be billable (ChargeFor). The
// error is a *ValidationError wrapping ErrInvalidJob.
func NewJobFinish(jobID string, planningDate Date, actualStart, actualEnd time.Time) (JobFinish, error) {
	verr := &ValidationError{Of: ErrInvalidJob}
	required(verr, FieldJobID, jobID)
	if planningDate.IsZero() {
		verr.Add(FieldPlanningDate, "is required")
	}
	if actualStart.IsZero() {
		verr.Add(FieldActualStartTime, "is required")
	}
	if actualEnd.IsZero() {
		verr.Add(FieldActualEndTime, "is required")
	}
	var amount Money
	if !actualStart.IsZero() && !actualEnd.IsZero() {
		var err error
		if amount, err = ChargeFor(actualEnd.Sub(actualStart)); err != nil {
			verr.Add(FieldActualEndTime, fmt.Sprintf("cannot be billed: %v (must not be before actualStartTime)", err))
		}
	}
	if err := verr.OrNil(); err != nil {
		return JobFinish{}, err
	}
	return JobFinish{jobID: jobID, planningDate: planningDate, start: actualStart, end: actualEnd, amount: amount}, nil
}

// JobID is the workshop's job id.
func (f JobFinish) JobID() string { return f.jobID }

// PlanningDate is the day of the planning the job belongs to.
func (f JobFinish) PlanningDate() Date { return f.planningDate }

// ActualStart is when the work started.
func (f JobFinish) ActualStart() time.Time { return f.start }

// ActualEnd is when the work ended.
func (f JobFinish) ActualEnd() time.Time { return f.end }

// Duration is the actual duration of the work.
func (f JobFinish) Duration() time.Duration { return f.end.Sub(f.start) }

// Amount is the charge for the work (ChargeFor of Duration).
func (f JobFinish) Amount() Money { return f.amount }

// BillableJob is a finished job whose plan (and so whose customer) is known: what an
// invoice line is made of. The zero value is not valid; use NewBillableJob.
type BillableJob struct {
	plan   JobPlan
	finish JobFinish
}

// NewBillableJob joins the plan and the completion of one job; a different job id or
// planning date (the workshop makes ids unique per day only) is an error wrapping
// ErrInvalidJob.
func NewBillableJob(plan JobPlan, finish JobFinish) (BillableJob, error) {
	if plan.JobID() == "" || plan.JobID() != finish.JobID() || plan.PlanningDate() != finish.PlanningDate() {
		return BillableJob{}, fmt.Errorf("%w: plan of job %q of %s with completion of job %q of %s", ErrInvalidJob,
			plan.JobID(), plan.PlanningDate(), finish.JobID(), finish.PlanningDate())
	}
	return BillableJob{plan: plan, finish: finish}, nil
}

// JobID is the job's id.
func (j BillableJob) JobID() string { return j.plan.JobID() }

// Key is the job's key: its planning date and id.
func (j BillableJob) Key() JobKey {
	return JobKey{planningDate: j.plan.PlanningDate(), jobID: j.plan.JobID()}
}

// CustomerID is the customer the job is billed to.
func (j BillableJob) CustomerID() string { return j.plan.CustomerID() }

// Plan is the job's plan.
func (j BillableJob) Plan() JobPlan { return j.plan }

// Finish is the job's completion.
func (j BillableJob) Finish() JobFinish { return j.finish }

// JobKey identifies a job: the workshop makes job ids unique within a planning day
// only, so a job is its planning date and its id. The zero value is not valid; use
// NewJobKey.
type JobKey struct {
	planningDate Date
	jobID        string
}

// NewJobKey checks that the job id is present and printable and the date set; the
// error is a *ValidationError wrapping ErrInvalidJob.
func NewJobKey(planningDate Date, jobID string) (JobKey, error) {
	verr := &ValidationError{Of: ErrInvalidJob}
	required(verr, FieldJobID, jobID)
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

// String is "<date>/<job id>", for messages.
func (k JobKey) String() string { return k.planningDate.String() + "/" + k.jobID }
