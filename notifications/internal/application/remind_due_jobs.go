package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// Reminded is what a command reminded.
type Reminded struct {
	// Reminders are the reminders created, in customer id order.
	Reminders []domain.Reminder
	// Waiting are the ids of due jobs left unreminded because their customer is not
	// known yet; they are reminded when the customer arrives on the same business day.
	Waiting []string
}

// reminder is the rule shared by the commands: every planned, unfinished, not yet
// reminded job of the current business day whose customer is known is reminded, once,
// in one reminder per customer. Reminding stores the reminder and queues its mail; the
// MaintenanceReminderSent event is published when the mail server accepted the mail
// (RecordReminderSent), not here.
type reminder struct{}

// remindDue reminds the due jobs of date (only customerID's when it is not empty).
func (h reminder) remindDue(ctx context.Context, book ReminderBook, date domain.Date, customerID string) (Reminded, error) {
	due, waiting, err := book.DueReminders(ctx, date, customerID)
	if err != nil {
		return Reminded{}, fmt.Errorf("due reminders of %s: %w", date, err)
	}
	res := Reminded{Waiting: waiting}
	for _, d := range due {
		r, err := domain.NewReminder(d.Customer, date, d.Earlier+1, d.Jobs)
		if err != nil {
			return Reminded{}, fmt.Errorf("remind customer %s of %s: %w", d.Customer.ID(), date, err)
		}
		if err := book.AddReminder(ctx, r); err != nil {
			return Reminded{}, fmt.Errorf("remind customer %s of %s: %w", d.Customer.ID(), date, err)
		}
		res.Reminders = append(res.Reminders, r)
	}
	return res, nil
}

// remindToday reminds customerID's due jobs of the current business day, if one began
// and day is it (day zero means whatever day is current).
func (h reminder) remindToday(ctx context.Context, book ReminderBook, customerID string, day domain.Date) (Reminded, error) {
	today, ok, err := book.CurrentDay(ctx)
	if err != nil {
		return Reminded{}, fmt.Errorf("current business day: %w", err)
	}
	if !ok || (!day.IsZero() && day != today) {
		return Reminded{}, nil
	}
	return h.remindDue(ctx, book, today, customerID)
}
