package ports

import (
	"context"
	"log/slog"

	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// ConsumerName is the durable JetStream consumer (and inbox key) of the audit log.
const ConsumerName = "auditlog"

// FilterSubjects are the subjects the audit log consumes: every Pitstop event.
var FilterSubjects = []string{"pitstop.>"}

// EventHandlers records every consumed event in the audit log.
type EventHandlers struct {
	app application.Application
	log *slog.Logger
}

// NewEventHandlers returns the handlers of app.
func NewEventHandlers(app application.Application, log *slog.Logger) *EventHandlers {
	if log == nil {
		log = slog.Default()
	}
	return &EventHandlers{app: app, log: log}
}

// Handle records ev through r, which messaging.Bind binds to the consumer's
// transaction, the one that also holds ev's inbox row, so the entry is stored exactly
// once however often ev is delivered. An event that can never be recorded is answered
// with an error wrapping messaging.ErrPermanent (it is dead-lettered at once); other
// errors are redelivered.
func (h *EventHandlers) Handle(ctx context.Context, r application.EntryRecorder, ev events.Envelope) error {
	created, err := h.app.RecordEvent.Handle(ctx, r, application.RecordEvent{Event: domain.EntryInput{
		EventID: ev.ID, Type: ev.Type, Subject: ev.Subject, Source: ev.Source, Actor: ev.Actor, Time: ev.Time,
		Data: ev.Data,
	}})
	if err != nil {
		return messaging.Permanent(err, domain.ErrInvalidEntry)
	}
	if !created {
		// The inbox normally catches duplicates first; the table's key is the backstop.
		h.log.DebugContext(ctx, "event already in the audit log", "event_id", ev.ID, "type", ev.Type)
	}
	return nil
}
