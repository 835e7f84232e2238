package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/serviceapis/notificationevents"
	"github.com/pitstop/pitstop/shared-go/events"
)

// RecordReminderSent is the command issued when the mail server accepted one of the
// context's mails (the mail dispatcher's OnSent).
type RecordReminderSent struct {
	// MessageID is the accepted mail's Message-ID (without angle brackets).
	MessageID string
	// SentAt is when the mail was recorded as accepted (the mail outbox's sent_at).
	SentAt time.Time
}

// RecordReminderSentResult is what RecordReminderSent did.
type RecordReminderSentResult struct {
	// Published is false when the mail is not a reminder (nothing was done).
	Published bool
	// Reminder is the reminder whose mail was sent, when Published.
	Reminder ReminderRecord
}

// RecordReminderSentHandler publishes MaintenanceReminderSent for a sent reminder.
type RecordReminderSentHandler struct{}

// errNoSentMail is returned for a command without a Message-ID or a sent time.
var errNoSentMail = errors.New("record reminder sent: a Message-ID and a sent time are required")

// Handle looks up, through book (bound to the transaction that marks the mail sent),
// the reminder whose mail cmd.MessageID is and adds its MaintenanceReminderSent event,
// stamped with cmd.SentAt, to the outbox; a mail that is no reminder is ignored. The
// mail dispatcher runs this once per mail, in the transaction that marks it sent, so
// the event is published once per reminder, and only once its mail has left.
func (RecordReminderSentHandler) Handle(ctx context.Context, book SentReminderBook, cmd RecordReminderSent) (RecordReminderSentResult, error) {
	if cmd.MessageID == "" || cmd.SentAt.IsZero() {
		return RecordReminderSentResult{}, errNoSentMail
	}
	r, ok, err := book.ReminderByMessageID(ctx, cmd.MessageID)
	if err != nil {
		return RecordReminderSentResult{}, fmt.Errorf("reminder of mail %s: %w", cmd.MessageID, err)
	}
	if !ok {
		return RecordReminderSentResult{}, nil
	}
	ev, err := events.New(notificationevents.Source, ReminderSentEvent(r), cmd.SentAt)
	if err != nil {
		return RecordReminderSentResult{}, err
	}
	if err := book.AddEvent(ctx, ev); err != nil {
		return RecordReminderSentResult{}, fmt.Errorf("reminder %s sent: %w", cmd.MessageID, err)
	}
	return RecordReminderSentResult{Published: true, Reminder: r}, nil
}

// ReminderSentEvent is the contract form of a sent reminder.
func ReminderSentEvent(r ReminderRecord) notificationevents.MaintenanceReminderSent {
	return notificationevents.MaintenanceReminderSent{
		CustomerID: r.CustomerID,
		Date:       r.Date.String(),
		JobIDs:     r.JobIDs,
		MessageID:  r.MessageID,
	}
}
