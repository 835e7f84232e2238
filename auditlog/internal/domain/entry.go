// Package domain is the auditlog context's model: an Entry is one event exactly as it
// was published (its CloudEvents attributes and its JSON body), and a Filter selects
// entries. It imports no adapter, no pgx, no chi and no NATS.
package domain

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Entry is one recorded event. Entries are immutable: the audit log only ever adds
// them, once per event id.
type Entry struct {
	eventID   uuid.UUID
	eventType string
	subject   string
	source    string
	actor     string
	time      time.Time
	data      json.RawMessage
}

// EntryInput holds the attributes of an event to record.
type EntryInput struct {
	// EventID is the CloudEvents id (ce-id); it identifies the entry.
	EventID uuid.UUID
	// Type is the CloudEvents type (ce-type), pitstop.<context>.<EventType>.
	Type string
	// Subject is the id of the aggregate the event is about (ce-subject); it may be empty.
	Subject string
	// Source is the publishing service (ce-source); it may be empty.
	Source string
	// Actor is who caused the event (the CloudEvents extension ce-actor); empty for an
	// event published without one (every event from before actors were recorded).
	Actor string
	// Time is when the event happened (ce-time), with the offset it was published with.
	Time time.Time
	// Data is the event's JSON body as published.
	Data json.RawMessage
}

// maxAttributeLength bounds the text attributes; CloudEvents attributes are short and
// a longer one is garbage, not an event.
const maxAttributeLength = 1024

// NewEntry validates in and returns the entry to record. The attributes (actor too) must be
// storable text (valid UTF-8 without NUL, at most 1024 bytes), the id non-nil, the type
// non-empty, the time set, and the body a JSON object in valid UTF-8. The error is a
// *ValidationError, which wraps ErrInvalidEntry.
func NewEntry(in EntryInput) (Entry, error) {
	verr := &ValidationError{Of: ErrInvalidEntry}
	if in.EventID == uuid.Nil {
		verr.Add("eventId", "is required")
	}
	if in.Type == "" {
		verr.Add("type", "is required")
	}
	checkText(verr, "type", in.Type)
	checkText(verr, "subject", in.Subject)
	checkText(verr, "source", in.Source)
	checkText(verr, "actor", in.Actor)
	if in.Time.IsZero() {
		verr.Add("time", "is required")
	}
	switch {
	case !utf8.Valid(in.Data):
		verr.Add("data", "is not valid UTF-8")
	case !isJSONObject(in.Data):
		verr.Add("data", "is not a JSON object")
	}
	if err := verr.OrNil(); err != nil {
		return Entry{}, err
	}
	return Entry{eventID: in.EventID, eventType: in.Type, subject: in.Subject, source: in.Source,
		actor: in.Actor, time: in.Time, data: bytes.Clone(in.Data)}, nil
}

// RehydrateEntry rebuilds an entry read back from storage, where it was validated
// when it was recorded.
func RehydrateEntry(in EntryInput) Entry {
	return Entry{eventID: in.EventID, eventType: in.Type, subject: in.Subject, source: in.Source,
		actor: in.Actor, time: in.Time, data: in.Data}
}

func checkText(verr *ValidationError, field, s string) {
	switch {
	case len(s) > maxAttributeLength:
		verr.Add(field, "is longer than 1024 bytes")
	case !utf8.ValidString(s):
		verr.Add(field, "is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		verr.Add(field, "contains a NUL character")
	}
}

func isJSONObject(data json.RawMessage) bool {
	var obj map[string]json.RawMessage
	return json.Unmarshal(data, &obj) == nil && obj != nil
}

// EventID is the event's id (ce-id).
func (e Entry) EventID() uuid.UUID { return e.eventID }

// Type is the event's type (ce-type).
func (e Entry) Type() string { return e.eventType }

// Subject is the aggregate id the event is about (ce-subject); empty when none was sent.
func (e Entry) Subject() string { return e.subject }

// Source is the publishing service (ce-source).
func (e Entry) Source() string { return e.source }

// Actor is who caused the event (ce-actor); empty when the event named no one.
func (e Entry) Actor() string { return e.actor }

// Time is when the event happened (ce-time), in the offset it was published with.
func (e Entry) Time() time.Time { return e.time }

// Data is the event's JSON body. Callers must not modify it.
func (e Entry) Data() json.RawMessage { return e.data }
