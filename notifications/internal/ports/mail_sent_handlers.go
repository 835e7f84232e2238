package ports

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/shared-go/mail"
)

// MailSentHandlers is the driving port of the mail dispatcher: OnSent tells the
// application that the mail server accepted a mail.
type MailSentHandlers struct {
	app application.Application
	log *slog.Logger
}

// NewMailSentHandlers returns the handlers of app.
func NewMailSentHandlers(app application.Application, log *slog.Logger) *MailSentHandlers {
	if log == nil {
		log = slog.Default()
	}
	return &MailSentHandlers{app: app, log: log}
}

// OnSent, bound by messaging.Bind to the transaction that marks r sent, serves as
// mail.DispatcherConfig.OnSent: through b it adds the MaintenanceReminderSent event of
// the reminder whose mail r is to the outbox, stamped with r.SentAt; a mail that is no
// reminder is ignored. The event thus commits if and only if the mail is recorded as
// sent, once per mail. An error rolls the marking back and the dispatcher retries it
// (without sending the mail again).
func (h *MailSentHandlers) OnSent(ctx context.Context, b application.SentReminderBook, r mail.Record) error {
	if r.SentAt == nil {
		return fmt.Errorf("mail %s: no sent time", r.ID)
	}
	res, err := h.app.RecordReminderSent.Handle(ctx, b, application.RecordReminderSent{
		MessageID: r.ID, SentAt: *r.SentAt})
	if err != nil {
		return err
	}
	if !res.Published {
		h.log.DebugContext(ctx, "sent mail is no reminder; nothing published", "message_id", r.ID)
		return nil
	}
	h.log.InfoContext(ctx, "maintenance reminder sent", "message_id", r.ID,
		"customer_id", res.Reminder.CustomerID, "date", res.Reminder.Date.String(), "jobs", res.Reminder.JobIDs)
	return nil
}
