package domain

import (
	"errors"
	"iter"
)

// Sentinel errors of the workshop domain. Rule violations are returned as *RuleViolation
// values that wrap one of the Err...Rule sentinels, so callers can both test which rule
// was broken (errors.Is) and show its message (errors.As).
var (
	// ErrInvalidValue is matched by every error of a value-object constructor that rejects
	// its input (a malformed date, licence number, timeslot or missing job field); those
	// errors are *InvalidValueError values naming the field.
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidTimeslot is returned (wrapping ErrInvalidValue) when a timeslot's start is
	// not before its end.
	ErrInvalidTimeslot = errors.New("start must be before end")
	// ErrPlanningNotFound is returned by repositories when no planning exists for a date.
	ErrPlanningNotFound = errors.New("workshop planning not found")
	// ErrJobNotFound is returned when a job id is not part of the planning.
	ErrJobNotFound = errors.New("maintenance job not found")
	// ErrConcurrencyConflict is returned by a repository when the planning was changed by
	// someone else since it was loaded (the expected version no longer matches).
	ErrConcurrencyConflict = errors.New("workshop planning was changed concurrently")
	// ErrInvalidEventStream is returned by RehydratePlanning for a stream that cannot be
	// the history of a planning (empty, not starting with WorkshopPlanningCreated, ...).
	ErrInvalidEventStream = errors.New("invalid workshop planning event stream")

	// ErrOutsidePlanningDateRule: a job's start and end must be on the planning's date.
	ErrOutsidePlanningDateRule = errors.New("job outside planning date")
	// ErrTooManyConcurrentJobsRule: at most 3 jobs may run at the same time.
	ErrTooManyConcurrentJobsRule = errors.New("too many concurrent jobs")
	// ErrVehicleBusyRule: a vehicle cannot have two overlapping jobs.
	ErrVehicleBusyRule = errors.New("vehicle already has a job in this time-slot")
	// ErrDuplicateJobIDRule: a job id is unique within a planning.
	ErrDuplicateJobIDRule = errors.New("duplicate job id")
	// ErrJobAlreadyFinished: a finished job cannot be finished again, nor cancelled or
	// moved.
	ErrJobAlreadyFinished = errors.New("job already finished")
	// ErrJobCancelledRule: a cancelled job cannot be cancelled again, finished or moved.
	ErrJobCancelledRule = errors.New("job cancelled")
	// ErrJobMovedAwayRule: a job moved to another day cannot be changed on the day it
	// left (it is changed on the day it went to).
	ErrJobMovedAwayRule = errors.New("job moved to another day")
)

// Messages of the business rules, as shown to users.
const (
	MsgTooManyConcurrentJobs = "Maintenance job overlaps with more than 3 other jobs"
	MsgVehicleBusy           = "Only 1 maintenance job can be executed on a vehicle during a certain time-slot."
	MsgJobAlreadyFinished    = "An already finished job can not be finished."
	MsgFinishedJobCancel     = "A finished job can not be cancelled."
	MsgFinishedJobMove       = "A finished job can not be moved."
	MsgJobAlreadyCancelled   = "The job is already cancelled."
	MsgCancelledJobFinish    = "A cancelled job can not be finished."
	MsgCancelledJobMove      = "A cancelled job can not be moved."
)

// RuleViolation is a command rejected by a business rule. Message is the rule's text,
// meant for users; Rule is the sentinel naming the rule (errors.Is matches it).
type RuleViolation struct {
	Rule    error
	Message string
}

// Error implements error with the rule's message.
func (v *RuleViolation) Error() string { return v.Message }

// Unwrap returns the rule sentinel.
func (v *RuleViolation) Unwrap() error { return v.Rule }

func violation(rule error, msg string) error { return &RuleViolation{Rule: rule, Message: msg} }

// InvalidValueError is a rejected input value: Field names it (in the value object's
// own terms, e.g. "licenseNumber", "end") and Detail says what is wrong. It matches
// ErrInvalidValue, and Cause when set, with errors.Is. Constructors that check several
// fields return all their InvalidValueErrors joined (errors.Join).
type InvalidValueError struct {
	Field  string
	Detail string
	Cause  error
}

// Error implements error.
func (e *InvalidValueError) Error() string {
	if e.Field == "" {
		return "invalid value: " + e.Detail
	}
	return "invalid " + e.Field + ": " + e.Detail
}

// Unwrap returns ErrInvalidValue and the cause, if any.
func (e *InvalidValueError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrInvalidValue, e.Cause}
	}
	return []error{ErrInvalidValue}
}

// FieldErrors yields the field and its detail (none when the value has no field name):
// the behaviour the HTTP port answers as a 400 listing the fields.
func (e *InvalidValueError) FieldErrors() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if e.Field != "" {
			yield(e.Field, e.Detail)
		}
	}
}

func invalid(field, detail string) error { return &InvalidValueError{Field: field, Detail: detail} }
