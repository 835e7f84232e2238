// Package application holds the auditlog context's use cases, one file per command and
// per query: recording an event (driven by the JetStream consumer, inside its inbox
// transaction), getting one entry and listing entries with filters and keyset paging.
package application

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/auditlog/internal/domain"
)

// RecordedEntry is an entry as stored: the event plus where and when the audit log
// recorded it.
type RecordedEntry struct {
	Entry domain.Entry
	// Seq increases with recording order and never changes; it orders the log.
	Seq int64
	// RecordedAt is when the audit log stored the event.
	RecordedAt time.Time
}

// Repository is every read the queries need; the Postgres adapter implements it.
// (Writes go through an EntryRecorder bound to the consumer's transaction.)
type Repository interface {
	EntryGetter
	EntryLister
}

// EntryGetter reads one entry.
type EntryGetter interface {
	// Get returns the entry of eventID or an error wrapping domain.ErrEntryNotFound.
	Get(ctx context.Context, eventID uuid.UUID) (RecordedEntry, error)
}

// Application groups the context's use cases; the driving ports call its fields.
type Application struct {
	RecordEvent RecordEventHandler
	GetEntry    GetEntryHandler
	ListEntries ListEntriesHandler
}

// New builds the use cases on repo.
func New(repo Repository) Application {
	return Application{
		RecordEvent: NewRecordEventHandler(),
		GetEntry:    NewGetEntryHandler(repo),
		ListEntries: NewListEntriesHandler(repo),
	}
}
