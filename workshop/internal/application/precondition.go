package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitstop/pitstop/shared-go/precondition"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// ErrPlanningChanged is returned when a command's If-Match precondition fails: the
// planning is no longer at the version the client read (its ETag). Nothing is stored;
// unlike domain.ErrConcurrencyConflict it is never retried, the client must re-read.
var ErrPlanningChanged = errors.New("the planning changed since it was read")

// IfMatch is a command's optional precondition on the version of the planning of the
// path's date (the zero value: none). A day without a planning is at version 0.
type IfMatch = precondition.Precondition

// checkVersion returns ErrPlanningChanged unless p is at a version expected allows.
func checkVersion(expected IfMatch, p *domain.WorkshopPlanning) error {
	if !expected.Holds(int64(p.Version())) {
		return fmt.Errorf("%w: the planning of %s is at %d", ErrPlanningChanged, p.Date(), p.Version())
	}
	return nil
}

// JobResult is a job after a command or query and the version of its day's planning
// (its ETag).
type JobResult struct {
	Job     domain.MaintenanceJob
	Version int
}

// changeJob runs a command on job id of the planning of date: it loads the planning
// (a missing one is domain.ErrJobNotFound), checks ifMatch, applies change, saves, and
// returns the job with the planning's new version, retrying a concurrency conflict
// under retry (never a failed If-Match).
func changeJob(ctx context.Context, repo PlanningRepository, retry RetryPolicy, date domain.PlanningDate,
	id domain.JobID, ifMatch IfMatch, change func(*domain.WorkshopPlanning) error) (JobResult, error) {
	var res JobResult
	err := retry.run(ctx, func() error {
		p, err := repo.Load(ctx, date)
		if errors.Is(err, domain.ErrPlanningNotFound) {
			return fmt.Errorf("%w (%w)", domain.ErrJobNotFound, err)
		}
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, p); err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		if err := repo.Save(ctx, p); err != nil {
			return err
		}
		j, _ := p.Job(id)
		res = JobResult{Job: j, Version: p.CurrentVersion()}
		return nil
	})
	return res, err
}
