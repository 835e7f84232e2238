package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// RecordJobPlanned records a MaintenanceJobPlanned: whose the job is, what it is for and
// which vehicle, so that it can be billed once it is finished.
type RecordJobPlanned struct {
	Plan domain.JobPlanInput
}

// RecordJobPlannedHandler handles RecordJobPlanned. It is order-tolerant: a job whose
// MaintenanceJobFinished arrived first keeps its finish and gains its plan.
type RecordJobPlannedHandler struct{}

// Handle writes through w (bound to the consumer's transaction). Unusable data is a
// *domain.ValidationError wrapping domain.ErrInvalidJob.
func (RecordJobPlannedHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobPlanned) error {
	p, err := domain.NewJobPlan(cmd.Plan)
	if err != nil {
		return fmt.Errorf("record plan of job %q: %w", cmd.Plan.JobID, err)
	}
	if err := w.RecordJobPlan(ctx, p); err != nil {
		return fmt.Errorf("record plan of job %s: %w", p.JobID(), err)
	}
	return nil
}
