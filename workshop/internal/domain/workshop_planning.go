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
// Rejections are *RuleViolation errors and record nothing. Planning exactly the same job
// (same id, slot, description, customer and vehicle) again is an idempotent no-op: it
// returns nil and records nothing.
func (p *WorkshopPlanning) PlanMaintenanceJob(job MaintenanceJob) error {
	if job.id.s == "" {
		return invalid("job", "is required")
	}
	if existing, ok := p.Job(job.id); ok {
		if existing.samePlan(job) {
			return nil
		}
		return violation(ErrDuplicateJobIDRule,
			fmt.Sprintf("A maintenance job with id %s already exists in the planning of %s.", job.id, p.date))
	}
	if !p.date.Contains(job.slot.start) || !p.date.Contains(job.slot.end) {
		return violation(ErrOutsidePlanningDateRule,
			fmt.Sprintf("The start and end time of a maintenance job must both be on the planning date %s.", p.date))
	}
	for _, other := range p.jobs {
		if other.vehicle.licenseNumber == job.vehicle.licenseNumber && other.slot.Overlaps(job.slot) {
			return violation(ErrVehicleBusyRule, MsgVehicleBusy)
		}
	}
	if p.maxConcurrentDuring(job.slot) >= MaxConcurrentJobs {
		return violation(ErrTooManyConcurrentJobsRule, MsgTooManyConcurrentJobs)
	}
	p.record(MaintenanceJobPlanned{JobID: job.id, Slot: job.slot, Description: job.description,
		Customer: job.customer, Vehicle: job.vehicle})
	return nil
}

// FinishMaintenanceJob records MaintenanceJobFinished for the job with id. The job must
// exist (ErrJobNotFound) and must not be finished already (a *RuleViolation wrapping
// ErrJobAlreadyFinished). The actual slot is a Timeslot, so its start is before its end;
// notes are optional (at most MaxNotesLength characters, an *InvalidValueError otherwise).
func (p *WorkshopPlanning) FinishMaintenanceJob(id JobID, actual Timeslot, notes string) error {
	job, ok := p.Job(id)
	if !ok {
		return fmt.Errorf("finish job %s of %s: %w", id, p.date, ErrJobNotFound)
	}
	if job.IsFinished() {
		return violation(ErrJobAlreadyFinished, MsgJobAlreadyFinished)
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

// maxConcurrentDuring returns the largest number of planned jobs running at one instant
// within slot (a sweep over the start and end instants of the jobs that overlap it).
func (p *WorkshopPlanning) maxConcurrentDuring(slot Timeslot) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, j := range p.jobs {
		if !j.slot.Overlaps(slot) {
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
	}
}
