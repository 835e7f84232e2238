package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// RecordJobMoved records a MaintenanceJobMoved.
type RecordJobMoved struct {
	JobID          string
	PlanningDate   domain.Date
	ToPlanningDate domain.Date
	// Start and End are the new planned times of a move within the day.
	Start, End time.Time
}

// RecordJobMovedResult is what RecordJobMoved did.
type RecordJobMovedResult struct {
	// WithinDay is true when the job stayed on its day with new planned times; false
	// when it left its day.
	WithinDay bool
	// Before is the job's state before the move.
	Before JobState
}

// RecordJobMovedHandler handles RecordJobMoved. Within the day, the job keeps its key
// and gets its new planned times (for reference: billing uses the actual times). To
// another day, the job is forgotten on its old day; the MaintenanceJobPlanned that the
// workshop publishes for the new day in the same transaction plans it there as a job
// of its own, which is invoiced once it is finished there (its line dated with the new
// day). Applying the same move twice changes nothing more.
type RecordJobMovedHandler struct{}

// Handle writes through w (bound to the consumer's transaction). Unusable data (no
// job id or dates, new times missing from a move within the day) is a
// *domain.ValidationError wrapping domain.ErrInvalidJob.
func (RecordJobMovedHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobMoved) (RecordJobMovedResult, error) {
	k, err := domain.NewJobKey(cmd.PlanningDate, cmd.JobID)
	if err != nil {
		return RecordJobMovedResult{}, fmt.Errorf("record move of job %q: %w", cmd.JobID, err)
	}
	res := RecordJobMovedResult{WithinDay: cmd.ToPlanningDate == cmd.PlanningDate}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	if cmd.ToPlanningDate.IsZero() {
		verr.Add(domain.FieldToPlanningDate, "is required")
	}
	if res.WithinDay {
		if cmd.Start.IsZero() {
			verr.Add(domain.FieldStartTime, "is required")
		}
		if cmd.End.IsZero() {
			verr.Add(domain.FieldEndTime, "is required")
		}
	}
	if err := verr.OrNil(); err != nil {
		return RecordJobMovedResult{}, fmt.Errorf("record move of job %s: %w", k, err)
	}
	if res.WithinDay {
		res.Before, err = w.RescheduleJob(ctx, k, cmd.Start, cmd.End)
	} else {
		res.Before, err = w.ForgetJob(ctx, k)
	}
	if err != nil {
		return RecordJobMovedResult{}, fmt.Errorf("record move of job %s to %s: %w", k, cmd.ToPlanningDate, err)
	}
	return res, nil
}
