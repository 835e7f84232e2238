package application

import (
	"context"
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
	res, err := changeJob(ctx, h.repo, h.retry, cmd.Date, cmd.JobID, cmd.IfMatch, func(p *domain.WorkshopPlanning) error {
		return p.FinishMaintenanceJob(cmd.JobID, cmd.Actual, cmd.Notes)
	})
	if err != nil {
		return JobResult{}, fmt.Errorf("finish job %s on %s: %w", cmd.JobID, cmd.Date, err)
	}
	return res, nil
}
