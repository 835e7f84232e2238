package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// PlanMaintenanceJob plans a job on the planning of Date, creating the planning on first
// use. JobID is optional: the zero JobID means "generate one"; a client-supplied id
// makes the command idempotent (the same job again changes nothing, a different job
// with that id is a rule violation).
type PlanMaintenanceJob struct {
	Date        domain.PlanningDate
	JobID       domain.JobID
	Slot        domain.Timeslot
	Description string
	Customer    domain.JobCustomer
	Vehicle     domain.JobVehicle
	// IfMatch is the optional precondition on the planning's version (0: no planning yet).
	IfMatch IfMatch
}

// PlanMaintenanceJobResult is the planning after the command and the planned job's id.
// Created is false when the very same job had been planned before (idempotent replay).
type PlanMaintenanceJobResult struct {
	Planning *domain.WorkshopPlanning
	JobID    domain.JobID
	Created  bool
}

// PlanMaintenanceJobHandler handles PlanMaintenanceJob. It is safe for concurrent use.
type PlanMaintenanceJobHandler struct {
	repo  PlanningRepository
	retry RetryPolicy
}

// NewPlanMaintenanceJobHandler returns a handler saving through repo and retrying
// concurrent-save conflicts according to retry (zero value: DefaultRetryPolicy).
func NewPlanMaintenanceJobHandler(repo PlanningRepository, retry RetryPolicy) *PlanMaintenanceJobHandler {
	return &PlanMaintenanceJobHandler{repo: repo, retry: retry}
}

// Handle plans the job. Errors: *domain.InvalidValueError (bad command),
// ErrPlanningChanged (If-Match),
// *domain.RuleViolation (a business rule), domain.ErrConcurrencyConflict (still
// conflicting after every retry) or an infrastructure error.
func (h *PlanMaintenanceJobHandler) Handle(ctx context.Context, cmd PlanMaintenanceJob) (PlanMaintenanceJobResult, error) {
	id := cmd.JobID
	if id == (domain.JobID{}) {
		var err error
		if id, err = domain.NewJobID(uuid.NewString()); err != nil {
			return PlanMaintenanceJobResult{}, err
		}
	}
	job, err := domain.NewMaintenanceJob(id, cmd.Slot, cmd.Description, cmd.Customer, cmd.Vehicle)
	if err != nil {
		return PlanMaintenanceJobResult{}, err
	}
	var res PlanMaintenanceJobResult
	err = h.retry.run(ctx, func() error {
		p, err := h.repo.Load(ctx, cmd.Date)
		if errors.Is(err, domain.ErrPlanningNotFound) {
			p, err = domain.NewWorkshopPlanning(cmd.Date)
		}
		if err != nil {
			return err
		}
		if err := checkVersion(cmd.IfMatch, p); err != nil {
			return err
		}
		before := len(p.Changes())
		if err := p.PlanMaintenanceJob(job); err != nil {
			return err
		}
		res = PlanMaintenanceJobResult{Planning: p, JobID: id, Created: len(p.Changes()) > before}
		if !res.Created {
			return nil
		}
		return h.repo.Save(ctx, p)
	})
	if err != nil {
		return PlanMaintenanceJobResult{}, fmt.Errorf("plan job %s on %s: %w", id, cmd.Date, err)
	}
	return res, nil
}
