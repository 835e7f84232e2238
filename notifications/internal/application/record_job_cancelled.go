package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// RecordJobCancelled records a MaintenanceJobCancelled: a cancelled job is not
// reminded.
type RecordJobCancelled struct {
	JobID        string
	PlanningDate domain.Date
}

// RecordJobCancelledHandler handles RecordJobCancelled. It is idempotent (cancelling
// twice is cancelling once) and order-tolerant: a cancel that arrives before the job's
// plan is kept, and the plan finds the job cancelled. A job reminded before it was
// cancelled (its day has begun) keeps its reminder: nothing is sent again and nothing
// is taken back.
type RecordJobCancelledHandler struct{}

// Handle writes through w (bound to the consumer's transaction). A missing or
// unusable job id or a missing date is a *domain.ValidationError wrapping
// domain.ErrInvalidJob.
func (RecordJobCancelledHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobCancelled) (JobChange, error) {
	k, err := domain.NewJobKey(cmd.PlanningDate, cmd.JobID)
	if err != nil {
		return JobChange{}, fmt.Errorf("record cancel of job %q: %w", cmd.JobID, err)
	}
	ch, err := w.RecordJobCancel(ctx, k)
	if err != nil {
		return JobChange{}, fmt.Errorf("record cancel of job %s: %w", k.JobID(), err)
	}
	return ch, nil
}
