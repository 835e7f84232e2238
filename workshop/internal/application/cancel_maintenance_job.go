package application

import (
	"context"
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
	res, err := changeJob(ctx, h.repo, h.retry, cmd.Date, cmd.JobID, cmd.IfMatch, func(p *domain.WorkshopPlanning) error {
		return p.CancelMaintenanceJob(cmd.JobID, cmd.Reason)
	})
	if err != nil {
		return JobResult{}, fmt.Errorf("cancel job %s on %s: %w", cmd.JobID, cmd.Date, err)
	}
	return res, nil
}
