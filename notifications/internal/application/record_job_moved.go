package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// RecordJobMoved records a MaintenanceJobMoved: the reminder follows the job.
type RecordJobMoved struct {
	JobID          string
	PlanningDate   domain.Date
	ToPlanningDate domain.Date
	// Start and End are the new times of a move within the day.
	Start, End time.Time
}

// RecordJobMovedResult is what RecordJobMoved did.
type RecordJobMovedResult struct {
	// WithinDay is true when the job stayed on its day with new times; false when it
	// left its day.
	WithinDay bool
	JobChange
}

// RecordJobMovedHandler handles RecordJobMoved. Within the day, the job gets its new
// times, which its reminder shows if it is not reminded yet. To another day, the job
// is forgotten on its old day, so the old day's reminder never lists it; the
// MaintenanceJobPlanned that the workshop publishes for the new day in the same
// transaction plans it there as any new job (RecordJobPlanned), reminded when that day
// begins, or at once when that day is the current business day. A job reminded before
// it moved (its old day has begun) is not reminded again for the old day. Applying the
// same move twice changes nothing more.
type RecordJobMovedHandler struct{}

// Handle writes through w (bound to the consumer's transaction). Unusable data (no
// job id or dates, a move within the day without an end after its start) is a
// *domain.ValidationError wrapping domain.ErrInvalidJob.
func (RecordJobMovedHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordJobMoved) (RecordJobMovedResult, error) {
	k, err := domain.NewJobKey(cmd.PlanningDate, cmd.JobID)
	if err != nil {
		return RecordJobMovedResult{}, fmt.Errorf("record move of job %q: %w", cmd.JobID, err)
	}
	m, err := domain.NewJobMove(k, cmd.ToPlanningDate, cmd.Start, cmd.End)
	if err != nil {
		return RecordJobMovedResult{}, fmt.Errorf("record move of job %s: %w", k.JobID(), err)
	}
	var ch JobChange
	if m.WithinDay() {
		ch, err = w.RescheduleJob(ctx, k, m.Start(), m.End())
	} else {
		ch, err = w.ForgetJob(ctx, k)
	}
	if err != nil {
		return RecordJobMovedResult{}, fmt.Errorf("record move of job %s to %s: %w", k.JobID(), m.To(), err)
	}
	return RecordJobMovedResult{WithinDay: m.WithinDay(), JobChange: ch}, nil
}
