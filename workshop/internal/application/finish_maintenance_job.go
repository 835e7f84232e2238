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
	// IfMatch is the optional precondition on the planning's version.
	IfMatch IfMatch
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

// Handle finishes the job and returns it with the planning's new version. Errors:
// domain.ErrJobNotFound (no such planning or job), ErrPlanningChanged (If-Match), a
// *domain.RuleViolation (already finished, cancelled or moved away),
// *domain.InvalidValueError, domain.ErrConcurrencyConflict or an infrastructure error.
func (h *FinishMaintenanceJobHandler) Handle(ctx context.Context, cmd FinishMaintenanceJob) (JobResult, error) {
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
		if err := p.FinishMaintenanceJob(cmd.JobID, cmd.Actual, cmd.Notes); err != nil {
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
		return JobResult{}, fmt.Errorf("finish job %s on %s: %w", cmd.JobID, cmd.Date, err)
	}
	return res, nil
}
