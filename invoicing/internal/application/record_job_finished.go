package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// RecordJobFinished records a MaintenanceJobFinished: the actual times the job is
// billed for.
type RecordJobFinished struct {
	JobID        string
	PlanningDate domain.Date
	ActualStart  time.Time
	ActualEnd    time.Time
}

// RecordJobFinishedHandler handles RecordJobFinished. It is order-tolerant: a finish
// that arrives before the job's plan is kept and merged when the plan arrives.
type RecordJobFinishedHandler struct{}

// Handle writes through w (bound to the consumer's transaction). Unusable data (an end
// before the start, ...) is a *domain.ValidationError wrapping domain.ErrInvalidJob.
func (RecordJobFinishedHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobFinished) error {
	f, err := domain.NewJobFinish(cmd.JobID, cmd.PlanningDate, cmd.ActualStart, cmd.ActualEnd)
	if err != nil {
		return fmt.Errorf("record finish of job %q: %w", cmd.JobID, err)
	}
	if err := w.RecordJobFinish(ctx, f); err != nil {
		return fmt.Errorf("record finish of job %s: %w", f.JobID(), err)
	}
	return nil
}
