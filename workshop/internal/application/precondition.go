package application

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// ErrPlanningChanged is returned when a command's If-Match precondition fails: the
// planning is no longer at the version the client read (its ETag). Nothing is stored;
// unlike domain.ErrConcurrencyConflict it is never retried, the client must re-read.
var ErrPlanningChanged = errors.New("the planning changed since it was read")

// IfMatch is a command's optional precondition on the planning's version: nil means
// none; otherwise the planning (of the path's date) must be at one of the listed
// versions (an empty, non-nil list matches nothing). A day without a planning is at
// version 0.
type IfMatch []int

// checkVersion returns ErrPlanningChanged unless p is at an expected version.
func checkVersion(expected IfMatch, p *domain.WorkshopPlanning) error {
	if expected != nil && !slices.Contains(expected, p.Version()) {
		return fmt.Errorf("%w: expected version %v, the planning of %s is at %d", ErrPlanningChanged, []int(expected), p.Date(), p.Version())
	}
	return nil
}

// JobResult is a job after a command or query and the version of its day's planning
// (its ETag).
type JobResult struct {
	Job     domain.MaintenanceJob
	Version int
}
