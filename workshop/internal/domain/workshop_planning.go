package domain

import (
	"fmt"
	"slices"
	"time"
)

// MaxConcurrentJobs is the number of workstations: at most this many jobs may run at
// the same time.
const MaxConcurrentJobs = 3

// WorkshopPlanning is the event-sourced aggregate of one calendar day: the maintenance
// jobs planned on that day. Its id is its date. It is not safe for concurrent use; each
// command loads its own instance, and the repository's expected-version check keeps
// concurrent commands from losing each other's events.
type WorkshopPlanning struct {
	date    PlanningDate
	jobs    []MaintenanceJob
	byID    map[JobID]int
	version int
	changes []Event
}

// NewWorkshopPlanning starts the planning of date, recording WorkshopPlanningCreated.
func NewWorkshopPlanning(date PlanningDate) (*WorkshopPlanning, error) {
	if date.IsZero() {
		return nil, invalid("date", "is required")
	}
	p := &WorkshopPlanning{byID: map[JobID]int{}}
	p.record(WorkshopPlanningCreated{Date: date})
	return p, nil
}

// RehydratePlanning rebuilds the planning of date from its stored events, in order,
// through the same apply the commands use. The result has Version() == len(history) and
// no pending changes. A history that does not start with a WorkshopPlanningCreated of
// date, or that holds a second one, fails with ErrInvalidEventStream.
func RehydratePlanning(date PlanningDate, history []Event) (*WorkshopPlanning, error) {
	if len(history) == 0 {
		return nil, fmt.Errorf("%w: planning %s has no events", ErrInvalidEventStream, date)
	}
	p := &WorkshopPlanning{byID: map[JobID]int{}}
	for i, e := range history {
		created, isCreated := e.(WorkshopPlanningCreated)
		switch {
		case i == 0 && (!isCreated || created.Date != date):
			return nil, fmt.Errorf("%w: planning %s does not start with its WorkshopPlanningCreated", ErrInvalidEventStream, date)
		case i > 0 && isCreated:
			return nil, fmt.Errorf("%w: planning %s created twice (event %d)", ErrInvalidEventStream, date, i+1)
		case e == nil:
			return nil, fmt.Errorf("%w: planning %s has a nil event", ErrInvalidEventStream, date)
		}
		p.apply(e)
	}
	p.version = len(history)
	return p, nil
}

// Date is the planning's day (and id).
func (p *WorkshopPlanning) Date() PlanningDate { return p.date }

// Version is the number of events the planning had when it was loaded (0 for a new
// planning): the expected version when its Changes are appended.
func (p *WorkshopPlanning) Version() int { return p.version }

// CurrentVersion is the version the planning has once its Changes are saved:
// Version() + len(Changes()). It is the planning's ETag after a write.
func (p *WorkshopPlanning) CurrentVersion() int { return p.version + len(p.changes) }

// Changes are the events recorded by commands since the planning was created or loaded,
// in order. The caller must not modify the returned slice.
func (p *WorkshopPlanning) Changes() []Event { return p.changes }

// Jobs returns copies of the planning's jobs in the order they were planned.
func (p *WorkshopPlanning) Jobs() []MaintenanceJob { return slices.Clone(p.jobs) }

// Job returns a copy of the job with id; ok is false if there is none.
func (p *WorkshopPlanning) Job(id JobID) (job MaintenanceJob, ok bool) {
	i, ok := p.byID[id]
	if !ok {
		return MaintenanceJob{}, false
	}
	return p.jobs[i], true
}

// PlanMaintenanceJob adds job to the planning, recording MaintenanceJobPlanned, if the
// rules allow it:
//   - its start and end are on the planning's date (ErrOutsidePlanningDateRule);
//   - its vehicle has no other job overlapping it (ErrVehicleBusyRule);
//   - it would not make a 4th job running at the same time (ErrTooManyConcurrentJobsRule);
//   - its id is not used by a different job (ErrDuplicateJobIDRule).
//
// Cancelled and moved-away jobs do not count for the vehicle and parallel-jobs rules, but
// keep their id. Rejections are *RuleViolation errors and record nothing. Planning
// exactly the same job (same id, slot, description, customer and vehicle) again is an
// idempotent no-op while that job is still Planned or Completed: it returns nil and
// records nothing.
func (p *WorkshopPlanning) PlanMaintenanceJob(job MaintenanceJob) error {
	if job.id.s == "" {
		return invalid("job", "is required")
	}
	if existing, ok := p.Job(job.id); ok {
		if existing.samePlan(job) && existing.status.occupiesSlot() {
			return nil
		}
		return violation(ErrDuplicateJobIDRule,
			fmt.Sprintf("A maintenance job with id %s already exists in the planning of %s.", job.id, p.date))
	}
	if err := p.checkSlot(job, JobID{}); err != nil {
		return err
	}
	p.record(MaintenanceJobPlanned{JobID: job.id, Slot: job.slot, Description: job.description,
		Customer: job.customer, Vehicle: job.vehicle})
	return nil
}

// FinishMaintenanceJob records MaintenanceJobFinished for the job with id. The job must
// exist (ErrJobNotFound) and must still be Planned: a finished, cancelled or moved-away
// job is a *RuleViolation wrapping ErrJobAlreadyFinished, ErrJobCancelledRule or
// ErrJobMovedAwayRule. The actual slot is a Timeslot, so its start is before its end;
// notes are optional (at most MaxNotesLength characters, an *InvalidValueError otherwise).
func (p *WorkshopPlanning) FinishMaintenanceJob(id JobID, actual Timeslot, notes string) error {
	if _, ok := p.Job(id); !ok {
		return fmt.Errorf("finish job %s of %s: %w", id, p.date, ErrJobNotFound)
	}
	if _, err := p.changeableJob(id, MsgJobAlreadyFinished, MsgCancelledJobFinish); err != nil {
		return err
	}
	if actual.start.IsZero() {
		return invalid("actual", "is required")
	}
	if err := checkText("notes", notes, MaxNotesLength, false, true); err != nil {
		return err
	}
	p.record(MaintenanceJobFinished{JobID: id, Actual: actual, Notes: notes})
	return nil
}

// CancelMaintenanceJob records MaintenanceJobCancelled for the job with id, with an
// optional reason (at most MaxReasonLength characters, no control characters but line
// breaks and tabs; an *InvalidValueError for field "reason" otherwise). The job must
// exist (ErrJobNotFound) and still be Planned: a finished, already cancelled or
// moved-away job is a *RuleViolation (ErrJobAlreadyFinished, ErrJobCancelledRule,
// ErrJobMovedAwayRule). The cancelled job stays in the planning and frees its slot.
func (p *WorkshopPlanning) CancelMaintenanceJob(id JobID, reason string) error {
	if _, ok := p.Job(id); !ok {
		return fmt.Errorf("cancel job %s of %s: %w", id, p.date, ErrJobNotFound)
	}
	if _, err := p.changeableJob(id, MsgFinishedJobCancel, MsgJobAlreadyCancelled); err != nil {
		return err
	}
	if err := checkText("reason", reason, MaxReasonLength, false, true); err != nil {
		return err
	}
	p.record(MaintenanceJobCancelled{JobID: id, Reason: reason})
	return nil
}

// MoveMaintenanceJob moves the job with id to slot on this planning's own day,
// recording MaintenanceJobMoved with ToDate = the date and ToJobID = id. The job must
// exist (ErrJobNotFound) and still be Planned (as CancelMaintenanceJob); the new slot
// must satisfy the planning rules of PlanMaintenanceJob, the job itself not counting.
// Moving a job to the slot it already has is a no-op that records nothing.
func (p *WorkshopPlanning) MoveMaintenanceJob(id JobID, slot Timeslot) error {
	if _, ok := p.Job(id); !ok {
		return fmt.Errorf("move job %s of %s: %w", id, p.date, ErrJobNotFound)
	}
	job, err := p.changeableJob(id, MsgFinishedJobMove, MsgCancelledJobMove)
	if err != nil {
		return err
	}
	if slot.start.IsZero() {
		return invalid("slot", "is required")
	}
	if job.slot.Equal(slot) {
		return nil
	}
	job.slot = slot
	if err := p.checkSlot(job, id); err != nil {
		return err
	}
	p.record(MaintenanceJobMoved{JobID: id, ToDate: p.date, ToJobID: id, Slot: slot})
	return nil
}

// MoveMaintenanceJobTo moves the job with id to slot on the planning target. When target
// is of this planning's date it is MoveMaintenanceJob. Otherwise the job must exist here
// and still be Planned (as MoveMaintenanceJob); target must not have a job with that id
// (any status; a *RuleViolation wrapping ErrDuplicateJobIDRule) and the job, with the new
// slot and its customer, vehicle and description, must satisfy target's planning rules.
// Then target records MaintenanceJobPlanned of the job and this planning records
// MaintenanceJobMoved (ToDate = target's date, ToJobID = id); the caller saves both in
// one transaction. A rejection records nothing on either planning.
func (p *WorkshopPlanning) MoveMaintenanceJobTo(target *WorkshopPlanning, id JobID, slot Timeslot) error {
	if target == nil {
		return invalid("planningDate", "is required")
	}
	if target == p || target.date == p.date {
		if target != p {
			return fmt.Errorf("%w: two instances of the planning of %s", ErrInvalidValue, p.date)
		}
		return p.MoveMaintenanceJob(id, slot)
	}
	if _, ok := p.Job(id); !ok {
		return fmt.Errorf("move job %s of %s: %w", id, p.date, ErrJobNotFound)
	}
	job, err := p.changeableJob(id, MsgFinishedJobMove, MsgCancelledJobMove)
	if err != nil {
		return err
	}
	if slot.start.IsZero() {
		return invalid("slot", "is required")
	}
	if _, taken := target.Job(id); taken {
		return violation(ErrDuplicateJobIDRule,
			fmt.Sprintf("A maintenance job with id %s already exists in the planning of %s.", id, target.date))
	}
	moved, err := NewMaintenanceJob(id, slot, job.description, job.customer, job.vehicle)
	if err != nil {
		return err
	}
	before := len(target.changes)
	if err := target.PlanMaintenanceJob(moved); err != nil {
		return err
	}
	if len(target.changes) != before+1 {
		return fmt.Errorf("%w: moving job %s did not plan it on %s", ErrInvalidValue, id, target.date)
	}
	p.record(MaintenanceJobMoved{JobID: id, ToDate: target.date, ToJobID: id, Slot: slot})
	return nil
}

// changeableJob returns the job with id (which must exist) if it is still Planned;
// otherwise a *RuleViolation: finished (with msgFinished), cancelled (msgCancelled) or
// moved away.
func (p *WorkshopPlanning) changeableJob(id JobID, msgFinished, msgCancelled string) (MaintenanceJob, error) {
	job, _ := p.Job(id)
	switch job.status {
	case StatusCompleted:
		return job, violation(ErrJobAlreadyFinished, msgFinished)
	case StatusCancelled:
		return job, violation(ErrJobCancelledRule, msgCancelled)
	case StatusMoved:
		return job, violation(ErrJobMovedAwayRule, fmt.Sprintf(
			"The job was moved to %s (job %s); it can only be changed there.", job.movedToDate, job.movedToID))
	}
	return job, nil
}

// checkSlot checks the slot rules for job on this planning, the job with id ignore (the
// job being moved) not counting: on the planning's date, its vehicle free, and fewer than
// MaxConcurrentJobs other jobs at any instant of its slot. Cancelled and moved-away jobs
// never count.
func (p *WorkshopPlanning) checkSlot(job MaintenanceJob, ignore JobID) error {
	if !p.date.Contains(job.slot.start) || !p.date.Contains(job.slot.end) {
		return violation(ErrOutsidePlanningDateRule,
			fmt.Sprintf("The start and end time of a maintenance job must both be on the planning date %s.", p.date))
	}
	for _, other := range p.jobs {
		if other.id == ignore || !other.status.occupiesSlot() {
			continue
		}
		if other.vehicle.licenseNumber == job.vehicle.licenseNumber && other.slot.Overlaps(job.slot) {
			return violation(ErrVehicleBusyRule, MsgVehicleBusy)
		}
	}
	if p.maxConcurrentDuring(job.slot, ignore) >= MaxConcurrentJobs {
		return violation(ErrTooManyConcurrentJobsRule, MsgTooManyConcurrentJobs)
	}
	return nil
}

// maxConcurrentDuring returns the largest number of jobs taking up a workstation at one
// instant within slot (a sweep over the start and end instants of the jobs that overlap
// it), the job with id ignore and cancelled or moved-away jobs not counting.
func (p *WorkshopPlanning) maxConcurrentDuring(slot Timeslot, ignore JobID) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, j := range p.jobs {
		if j.id == ignore || !j.status.occupiesSlot() || !j.slot.Overlaps(slot) {
			continue
		}
		// Clip to slot: only concurrency inside the new job's slot matters.
		start, end := j.slot.start, j.slot.end
		if start.Before(slot.start) {
			start = slot.start
		}
		if end.After(slot.end) {
			end = slot.end
		}
		edges = append(edges, edge{start, +1}, edge{end, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		// At the same instant a job ending frees its workstation before the next starts:
		// touching slots do not overlap.
		return a.delta - b.delta
	})
	running, peak := 0, 0
	for _, e := range edges {
		running += e.delta
		peak = max(peak, running)
	}
	return peak
}

// record applies a newly decided event and keeps it as a pending change.
func (p *WorkshopPlanning) record(e Event) {
	p.apply(e)
	p.changes = append(p.changes, e)
}

// apply mutates the state from one event. It never checks rules: an event is a fact.
// Replay (RehydratePlanning) and commands (record) share it.
func (p *WorkshopPlanning) apply(e Event) {
	switch e := e.(type) {
	case WorkshopPlanningCreated:
		p.date = e.Date
	case MaintenanceJobPlanned:
		p.byID[e.JobID] = len(p.jobs)
		p.jobs = append(p.jobs, MaintenanceJob{id: e.JobID, slot: e.Slot, description: e.Description,
			customer: e.Customer, vehicle: e.Vehicle, status: StatusPlanned})
	case MaintenanceJobFinished:
		if i, ok := p.byID[e.JobID]; ok {
			j := &p.jobs[i]
			j.status, j.actual, j.notes = StatusCompleted, e.Actual, e.Notes
		}
	case MaintenanceJobCancelled:
		if i, ok := p.byID[e.JobID]; ok {
			j := &p.jobs[i]
			j.status, j.cancelReason = StatusCancelled, e.Reason
		}
	case MaintenanceJobMoved:
		if i, ok := p.byID[e.JobID]; ok {
			j := &p.jobs[i]
			if e.ToDate == p.date {
				j.slot = e.Slot
			} else {
				j.status, j.movedToDate, j.movedToID = StatusMoved, e.ToDate, e.ToJobID
			}
		}
	}
}
