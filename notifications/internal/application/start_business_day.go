package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// StartBusinessDay is the command issued when a business day begins (DayHasPassed).
type StartBusinessDay struct {
	// Date is the day that began.
	Date domain.Date
}

// StartBusinessDayResult is what StartBusinessDay did.
type StartBusinessDayResult struct {
	Reminded
	// Stale is true when a later business day had already begun: the day's event was
	// late (replayed or reordered), and reminding of a day that is over is pointless.
	Stale bool
}

// StartBusinessDayHandler sends the day's reminders.
type StartBusinessDayHandler struct {
	remind reminder
}

// Handle records, through book (bound to the consumer's transaction), that cmd.Date
// began and, unless a later day already began, reminds every customer of their
// planned, unfinished, not yet reminded jobs of that day: one reminder per customer
// listing all of them, its mail queued (its MaintenanceReminderSent event follows when
// the mail server accepts the mail: RecordReminderSent). Jobs are marked reminded in the same transaction as the event's inbox row,
// so a job is reminded at most once whatever is delivered again: the same event (the
// inbox), or another DayHasPassed of the same day (the reminded mark). Due jobs whose
// customer is not known yet are left Waiting: RecordCustomer reminds them when the
// customer arrives during the same business day.
func (h StartBusinessDayHandler) Handle(ctx context.Context, book ReminderBook, cmd StartBusinessDay) (StartBusinessDayResult, error) {
	if cmd.Date.IsZero() {
		return StartBusinessDayResult{}, fmt.Errorf("start business day: %w", domain.ErrInvalidDate)
	}
	current, err := book.StartDay(ctx, cmd.Date)
	if err != nil {
		return StartBusinessDayResult{}, fmt.Errorf("start business day %s: %w", cmd.Date, err)
	}
	if !current {
		return StartBusinessDayResult{Stale: true}, nil
	}
	res, err := h.remind.remindDue(ctx, book, cmd.Date, "")
	if err != nil {
		return StartBusinessDayResult{}, fmt.Errorf("start business day %s: %w", cmd.Date, err)
	}
	return StartBusinessDayResult{Reminded: res}, nil
}
