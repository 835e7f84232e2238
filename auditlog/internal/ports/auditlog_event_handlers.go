package ports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// ConsumerName is the durable JetStream consumer (and inbox key) of the audit log.
const ConsumerName = "auditlog"

// FilterSubjects are the subjects the audit log consumes: every Pitstop event.
var FilterSubjects = []string{"pitstop.>"}

// RecorderFor binds an application.EntryRecorder to the consumer's transaction.
type RecorderFor func(tx pgx.Tx) application.EntryRecorder

// EventHandlers records every consumed event in the audit log.
type EventHandlers struct {
	app         application.Application
	recorderFor RecorderFor
	log         *slog.Logger
}

// NewEventHandlers returns the handlers of app, writing through recorders from
// recorderFor.
func NewEventHandlers(app application.Application, recorderFor RecorderFor, log *slog.Logger) *EventHandlers {
	if log == nil {
		log = slog.Default()
	}
	return &EventHandlers{app: app, recorderFor: recorderFor, log: log}
}

// Handle is a messaging.Handler: it records ev in tx, the transaction that also holds
// ev's inbox row, so the entry is stored exactly once however often ev is delivered.
// An event that can never be recorded is answered with an error wrapping
// messaging.ErrPermanent (it is dead-lettered at once); other errors are redelivered.
func (h *EventHandlers) Handle(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
	created, err := h.app.RecordEvent.Handle(ctx, h.recorderFor(tx), application.RecordEvent{Event: domain.EntryInput{
		EventID: ev.ID, Type: ev.Type, Subject: ev.Subject, Source: ev.Source, Time: ev.Time, Data: ev.Data,
	}})
	if errors.Is(err, domain.ErrInvalidEntry) {
		return fmt.Errorf("%w: %w", messaging.ErrPermanent, err)
	}
	if err != nil {
		return err
	}
	if !created {
		// The inbox normally catches duplicates first; the table's key is the backstop.
		h.log.DebugContext(ctx, "event already in the audit log", "event_id", ev.ID, "type", ev.Type)
	}
	return nil
}
