package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// RecordJobFinished records a MaintenanceJobFinished: a finished job is not reminded.
type RecordJobFinished struct {
	JobID        string
	PlanningDate domain.Date
}

// RecordJobFinishedHandler handles RecordJobFinished. It is order-tolerant and
// idempotent: a finish that arrives before the job's plan is kept, and the plan finds
// the job finished.
type RecordJobFinishedHandler struct{}

// Handle writes through w (bound to the consumer's transaction). A missing or
// unprintable job id or a missing date is a *domain.ValidationError wrapping
// domain.ErrInvalidJob.
func (RecordJobFinishedHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobFinished) error {
	k, err := domain.NewJobKey(cmd.PlanningDate, cmd.JobID)
	if err != nil {
		return fmt.Errorf("record finish of job %q: %w", cmd.JobID, err)
	}
	if err := w.RecordJobFinish(ctx, k); err != nil {
		return fmt.Errorf("record finish of job %s: %w", k.JobID(), err)
	}
	return nil
}
