package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// RecordJobCancelled records a MaintenanceJobCancelled: a cancelled job is never
// invoiced.
type RecordJobCancelled struct {
	JobID        string
	PlanningDate domain.Date
}

// RecordJobCancelledHandler handles RecordJobCancelled. It is idempotent and
// order-tolerant: a cancel that arrives before the job's plan is kept, and the plan
// finds the job cancelled.
type RecordJobCancelledHandler struct{}

// Handle writes through w (bound to the consumer's transaction). A missing job id or
// date is a *domain.ValidationError wrapping domain.ErrInvalidJob.
func (RecordJobCancelledHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobCancelled) (JobState, error) {
	k, err := domain.NewJobKey(cmd.PlanningDate, cmd.JobID)
	if err != nil {
		return JobState{}, fmt.Errorf("record cancel of job %q: %w", cmd.JobID, err)
	}
	st, err := w.RecordJobCancel(ctx, k)
	if err != nil {
		return JobState{}, fmt.Errorf("record cancel of job %s: %w", k, err)
	}
	return st, nil
}
