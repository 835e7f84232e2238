package domain

import "time"

// JobMove is a planned job's move as the workshop announced it (MaintenanceJobMoved):
// to other times on its own day, or away to another day. A job moved away is planned
// again on its new day by a MaintenanceJobPlanned of the same transaction, which is
// recorded as any new plan; all the move says about the old day is that the job is
// gone from it. The zero value is not valid; use NewJobMove.
type JobMove struct {
	from       JobKey
	to         Date
	start, end time.Time
}

// NewJobMove checks a move of the job from: the day it moves to is required, and a
// move within the day needs both new times with the end after the start (the times of
// a move to another day are those of its new plan, not checked here). The error is a
// *ValidationError wrapping ErrInvalidJob.
func NewJobMove(from JobKey, to Date, start, end time.Time) (JobMove, error) {
	verr := &ValidationError{Of: ErrInvalidJob}
	if from.jobID == "" || from.planningDate.IsZero() {
		verr.Add(FieldJobID, "is required")
	}
	if to.IsZero() {
		verr.Add(FieldToPlanningDate, "is required")
	}
	m := JobMove{from: from, to: to, start: start, end: end}
	if !to.IsZero() && m.WithinDay() {
		switch {
		case start.IsZero():
			verr.Add(FieldStartTime, "is required")
		case end.IsZero():
			verr.Add(FieldEndTime, "is required")
		case !end.After(start):
			verr.Add(FieldEndTime, "must be after startTime")
		}
	}
	if err := verr.OrNil(); err != nil {
		return JobMove{}, err
	}
	return m, nil
}

// Job is the moved job as it was known before the move.
func (m JobMove) Job() JobKey { return m.from }

// To is the day the job moves to.
func (m JobMove) To() Date { return m.to }

// WithinDay reports whether the job stays on its day (only its times change).
func (m JobMove) WithinDay() bool { return m.to == m.from.planningDate }

// Start is the new planned start of a move within the day, in the offset it was
// planned in.
func (m JobMove) Start() time.Time { return m.start }

// End is the new planned end of a move within the day.
func (m JobMove) End() time.Time { return m.end }
