package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/auditlog/internal/domain"
)

// RecordEvent is the command to add one published event to the audit log.
type RecordEvent struct {
	Event domain.EntryInput
}

// EntryRecorder stores entries inside the caller's unit of work: the consumer's
// transaction, in which the event id is also written to the inbox, so an entry and
// its inbox row commit (or roll back) together.
type EntryRecorder interface {
	// Record stores e unless an entry with its event id exists; it reports whether e
	// was stored. Data the store cannot hold yields an error wrapping
	// domain.ErrInvalidEntry.
	Record(ctx context.Context, e domain.Entry) (bool, error)
}

// RecordEventHandler validates an event and records it once per event id.
type RecordEventHandler struct{}

// NewRecordEventHandler returns the handler.
func NewRecordEventHandler() RecordEventHandler { return RecordEventHandler{} }

// Handle records cmd's event through rec and reports whether it was new. An event that
// can never be recorded yields an error wrapping domain.ErrInvalidEntry (a
// *domain.ValidationError when the domain rejected it); any other error is transient.
func (RecordEventHandler) Handle(ctx context.Context, rec EntryRecorder, cmd RecordEvent) (bool, error) {
	e, err := domain.NewEntry(cmd.Event)
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", cmd.Event.EventID, err)
	}
	created, err := rec.Record(ctx, e)
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", e.EventID(), err)
	}
	return created, nil
}
