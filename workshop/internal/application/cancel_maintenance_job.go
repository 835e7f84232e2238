package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// CancelMaintenanceJob cancels a planned job, with an optional reason.
type CancelMaintenanceJob struct {
	Date    domain.PlanningDate
	JobID   domain.JobID
	Reason  string
	IfMatch IfMatch
}

// CancelMaintenanceJobHandler handles CancelMaintenanceJob. It is safe for concurrent use.
type CancelMaintenanceJobHandler struct {
	repo  PlanningRepository
	retry RetryPolicy
}

// NewCancelMaintenanceJobHandler returns a handler saving through repo.
func NewCancelMaintenanceJobHandler(repo PlanningRepository, retry RetryPolicy) *CancelMaintenanceJobHandler {
	return &CancelMaintenanceJobHandler{repo: repo, retry: retry}
}

// Handle cancels the job and returns it with the planning's new version. Errors:
// domain.ErrJobNotFound (no such planning or job), ErrPlanningChanged (If-Match), a
// *domain.RuleViolation (finished, already cancelled, moved away),
// *domain.InvalidValueError (the reason), domain.ErrConcurrencyConflict or an
// infrastructure error.
func (h *CancelMaintenanceJobHandler) Handle(ctx context.Context, cmd CancelMaintenanceJob) (JobResult, error) {
	var res JobResult
	err := h.retry.run(ctx, func() error {
		p, err := h.repo.Load(ctx, cmd.Date)
		if errors.Is(err, domain.ErrPlanningNotFound) {
			return fmt.Errorf("%w (%w)", domain.ErrJobNotFound, err)
		}
		if err != nil {
			return err
		}
		if err := checkVersion(cmd.IfMatch, p); err != nil {
			return err
		}
		if err := p.CancelMaintenanceJob(cmd.JobID, cmd.Reason); err != nil {
			return err
		}
		if err := h.repo.Save(ctx, p); err != nil {
			return err
		}
		j, _ := p.Job(cmd.JobID)
		res = JobResult{Job: j, Version: p.CurrentVersion()}
		return nil
	})
	if err != nil {
		return JobResult{}, fmt.Errorf("cancel job %s on %s: %w", cmd.JobID, cmd.Date, err)
	}
	return res, nil
}
