package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// MoveMaintenanceJob moves a planned job to Slot on ToDate (the zero ToDate: its own
// day). The job keeps its id on the new day.
type MoveMaintenanceJob struct {
	Date    domain.PlanningDate
	JobID   domain.JobID
	ToDate  domain.PlanningDate
	Slot    domain.Timeslot
	IfMatch IfMatch // on the planning of Date
}

// MoveMaintenanceJobResult is the job at its new place, the date it is on now and the
// new version of the planning of the command's Date (its ETag).
type MoveMaintenanceJobResult struct {
	Job     domain.MaintenanceJob
	Date    domain.PlanningDate
	Version int
}

// MoveMaintenanceJobHandler handles MoveMaintenanceJob. It is safe for concurrent use.
type MoveMaintenanceJobHandler struct {
	repo  PlanningRepository
	retry RetryPolicy
}

// NewMoveMaintenanceJobHandler returns a handler saving through repo.
func NewMoveMaintenanceJobHandler(repo PlanningRepository, retry RetryPolicy) *MoveMaintenanceJobHandler {
	return &MoveMaintenanceJobHandler{repo: repo, retry: retry}
}

// Handle moves the job. To another day, both plannings (the new day's created when it
// has none) are saved in one transaction, each at the version it was loaded at: a
// concurrent change of either re-runs the whole command from fresh loads. Errors:
// domain.ErrJobNotFound, ErrPlanningChanged (If-Match), a *domain.RuleViolation (the
// job is not Planned, the id is taken on the new day, a slot rule there),
// domain.ErrConcurrencyConflict or an infrastructure error.
func (h *MoveMaintenanceJobHandler) Handle(ctx context.Context, cmd MoveMaintenanceJob) (MoveMaintenanceJobResult, error) {
	to := cmd.ToDate
	if to.IsZero() {
		to = cmd.Date
	}
	var res MoveMaintenanceJobResult
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
		target := p
		if to != cmd.Date {
			target, err = h.repo.Load(ctx, to)
			if errors.Is(err, domain.ErrPlanningNotFound) {
				target, err = domain.NewWorkshopPlanning(to)
			}
			if err != nil {
				return err
			}
		}
		if err := p.MoveMaintenanceJobTo(target, cmd.JobID, cmd.Slot); err != nil {
			return err
		}
		if target == p {
			err = h.repo.Save(ctx, p)
		} else {
			err = h.repo.SaveAll(ctx, p, target)
		}
		if err != nil {
			return err
		}
		j, _ := target.Job(cmd.JobID)
		res = MoveMaintenanceJobResult{Job: j, Date: to, Version: p.CurrentVersion()}
		return nil
	})
	if err != nil {
		return MoveMaintenanceJobResult{}, fmt.Errorf("move job %s on %s to %s: %w", cmd.JobID, cmd.Date, to, err)
	}
	return res, nil
}
