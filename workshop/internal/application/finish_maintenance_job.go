package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// FinishMaintenanceJob records that a mechanic finished a job: when it was actually
// done and optional notes.
type FinishMaintenanceJob struct {
	Date   domain.PlanningDate
	JobID  domain.JobID
	Actual domain.Timeslot
	Notes  string
}

// FinishMaintenanceJobHandler handles FinishMaintenanceJob. It is safe for concurrent use.
type FinishMaintenanceJobHandler struct {
	repo  PlanningRepository
	retry RetryPolicy
}

// NewFinishMaintenanceJobHandler returns a handler saving through repo.
func NewFinishMaintenanceJobHandler(repo PlanningRepository, retry RetryPolicy) *FinishMaintenanceJobHandler {
	return &FinishMaintenanceJobHandler{repo: repo, retry: retry}
}

// Handle finishes the job and returns it. Errors: domain.ErrJobNotFound (no such
// planning or job), a *domain.RuleViolation wrapping domain.ErrJobAlreadyFinished,
// *domain.InvalidValueError, domain.ErrConcurrencyConflict or an infrastructure error.
func (h *FinishMaintenanceJobHandler) Handle(ctx context.Context, cmd FinishMaintenanceJob) (domain.MaintenanceJob, error) {
	var job domain.MaintenanceJob
	err := h.retry.run(ctx, func() error {
		p, err := h.repo.Load(ctx, cmd.Date)
		if errors.Is(err, domain.ErrPlanningNotFound) {
			return fmt.Errorf("%w (%w)", domain.ErrJobNotFound, err)
		}
		if err != nil {
			return err
		}
		if err := p.FinishMaintenanceJob(cmd.JobID, cmd.Actual, cmd.Notes); err != nil {
			return err
		}
		if err := h.repo.Save(ctx, p); err != nil {
			return err
		}
		job, _ = p.Job(cmd.JobID)
		return nil
	})
	if err != nil {
		return domain.MaintenanceJob{}, fmt.Errorf("finish job %s on %s: %w", cmd.JobID, cmd.Date, err)
	}
	return job, nil
}
