package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// RecordJobPlanned records a MaintenanceJobPlanned: whose the job is, when and what it
// is, and which vehicle, so that the customer can be reminded of it.
type RecordJobPlanned struct {
	Job domain.JobDetails
}

// RecordJobPlannedResult is what RecordJobPlanned did.
type RecordJobPlannedResult struct {
	// New is false when the job's plan was known already.
	New bool
	// Reminded is the reminder sent at once for a job of the current business day.
	Reminded Reminded
}

// RecordJobPlannedHandler handles RecordJobPlanned. It is order-tolerant: a job whose
// MaintenanceJobFinished arrived first is recorded finished and never reminded.
type RecordJobPlannedHandler struct {
	remind reminder
}

// Handle writes through s (bound to the consumer's transaction). A job planned on the
// current business day, known only after the day began (planned during the day, or its
// event delivered late), is reminded at once if its customer is known. Unusable data is
// a *domain.ValidationError wrapping domain.ErrInvalidJob.
func (h RecordJobPlannedHandler) Handle(ctx context.Context, s Store, cmd RecordJobPlanned) (RecordJobPlannedResult, error) {
	j, err := domain.NewJob(cmd.Job)
	if err != nil {
		return RecordJobPlannedResult{}, fmt.Errorf("record plan of job %q: %w", cmd.Job.JobID, err)
	}
	isNew, err := s.RecordJobPlan(ctx, j)
	if err != nil {
		return RecordJobPlannedResult{}, fmt.Errorf("record plan of job %s: %w", j.ID(), err)
	}
	if !isNew {
		return RecordJobPlannedResult{}, nil
	}
	reminded, err := h.remind.remindToday(ctx, s, j.CustomerID(), j.PlanningDate())
	if err != nil {
		return RecordJobPlannedResult{}, fmt.Errorf("record plan of job %s: %w", j.ID(), err)
	}
	return RecordJobPlannedResult{New: true, Reminded: reminded}, nil
}
