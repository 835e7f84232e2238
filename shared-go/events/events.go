// Package events defines Pitstop's event envelope: CloudEvents 1.0 in binary
// mode over NATS headers, with the event body as JSON.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
)

// CloudEvents binary-mode header names used on every Pitstop message.
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderID          = "ce-id"
	HeaderType        = "ce-type"
	HeaderSource      = "ce-source"
	HeaderTime        = "ce-time"
	HeaderSubject     = "ce-subject"
	HeaderContentType = "content-type"
	// HeaderMsgID is JetStream's de-duplication header; Pitstop sets it to the event id.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderSeq is the event's position in its aggregate's history (1, 2, 3...),
	// assigned in the writing transaction; consumers order an aggregate's events by it.
	HeaderSeq = "pitstop-seq"
	// HeaderActor is the CloudEvents extension attribute "actor" in binary mode: who
	// caused the event (a staff account's user name, "client:<name>" for an API client,
	// "system" for the scheduler). Absent on events from before sign-in existed.
	HeaderActor = "ce-actor"
	// SpecVersion is the CloudEvents version Pitstop speaks.
	SpecVersion = "1.0"
	// ContentTypeJSON is the only body encoding Pitstop uses.
	ContentTypeJSON = "application/json"
)

// Payload is implemented by every event contract in serviceapis: it knows its
// type (which is also its NATS subject) and the aggregate it is about.
type Payload interface {
	// EventType is the CloudEvents type and NATS subject, pitstop.<context>.<EventType>.
	EventType() string
	// EventSubject is the id of the aggregate the event is about (ce-subject).
	EventSubject() string
}

// Envelope is one event with its CloudEvents attributes. The zero value is not valid;
// build one with New or decode one with FromMsg.
type Envelope struct {
	ID      uuid.UUID
	Type    string
	Source  string
	Subject string
	Time    time.Time
	// Seq is the event's position in the history of its aggregate (Subject), from 1;
	// 0 when the event has no aggregate order (not yet written, or written before
	// sequences existed). The outbox writer assigns it unless the producer did (the
	// workshop's aggregate version).
	Seq int64
	// Actor is who caused the event (HeaderActor); "" when unknown. The outbox writer
	// stamps it from the command's context (WithActor) unless the producer set it.
	Actor string
	Data  json.RawMessage
}

// New wraps a payload in a fresh envelope with a new random event id. The id is fixed
// here, once, and travels with the event through the outbox, so a retry keeps it.
func New(source string, p Payload, now time.Time) (Envelope, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s: %w", p.EventType(), err)
	}
	return Envelope{
		ID:      uuid.New(),
		Type:    p.EventType(),
		Source:  source,
		Subject: p.EventSubject(),
		Time:    now.UTC(),
		Data:    data,
	}, nil
}

// ErrMalformed is wrapped by FromMsg when a message is not a valid Pitstop event.
var ErrMalformed = errors.New("malformed event")

// Headers renders the envelope's attributes as NATS headers, including Nats-Msg-Id.
func (e Envelope) Headers() nats.Header {
	h := nats.Header{}
	h.Set(HeaderSpecVersion, SpecVersion)
	h.Set(HeaderID, e.ID.String())
	h.Set(HeaderType, e.Type)
	h.Set(HeaderSource, e.Source)
	h.Set(HeaderTime, e.Time.Format(time.RFC3339Nano))
	if e.Subject != "" {
		h.Set(HeaderSubject, e.Subject)
	}
	h.Set(HeaderContentType, ContentTypeJSON)
	h.Set(HeaderMsgID, e.ID.String())
	if e.Seq > 0 {
		h.Set(HeaderSeq, strconv.FormatInt(e.Seq, 10))
	}
	if e.Actor != "" {
		h.Set(HeaderActor, e.Actor)
	}
	return h
}

// Msg builds the NATS message for the envelope; its subject is the event type.
func (e Envelope) Msg() *nats.Msg {
	return &nats.Msg{Subject: e.Type, Header: e.Headers(), Data: e.Data}
}

// FromMsg decodes an envelope from a NATS message's headers and body. Unknown headers
// are ignored; a missing or invalid required attribute or a body that is not a JSON
// object yields an error wrapping ErrMalformed.
func FromMsg(subject string, h nats.Header, data []byte) (Envelope, error) {
	if v := h.Get(HeaderSpecVersion); v != SpecVersion {
		return Envelope{}, fmt.Errorf("%w: specversion %q", ErrMalformed, v)
	}
	id, err := uuid.Parse(h.Get(HeaderID))
	if err != nil {
		return Envelope{}, fmt.Errorf("%w: id: %v", ErrMalformed, err)
	}
	typ := h.Get(HeaderType)
	if typ == "" {
		typ = subject
	}
	if !strings.HasPrefix(typ, "pitstop.") {
		return Envelope{}, fmt.Errorf("%w: type %q", ErrMalformed, typ)
	}
	t, err := time.Parse(time.RFC3339Nano, h.Get(HeaderTime))
	if err != nil {
		return Envelope{}, fmt.Errorf("%w: time: %v", ErrMalformed, err)
	}
	if ct := h.Get(HeaderContentType); ct != "" && !strings.HasPrefix(ct, ContentTypeJSON) {
		return Envelope{}, fmt.Errorf("%w: content-type %q", ErrMalformed, ct)
	}
	var seq int64
	if v := h.Get(HeaderSeq); v != "" {
		if seq, err = strconv.ParseInt(v, 10, 64); err != nil || seq < 1 {
			return Envelope{}, fmt.Errorf("%w: %s %q", ErrMalformed, HeaderSeq, v)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return Envelope{}, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	return Envelope{
		ID:      id,
		Type:    typ,
		Source:  h.Get(HeaderSource),
		Subject: h.Get(HeaderSubject),
		Time:    t,
		Seq:     seq,
		Actor:   h.Get(HeaderActor),
		Data:    json.RawMessage(data),
	}, nil
}

// Decode unmarshals the envelope's body into v, wrapping failures in ErrMalformed.
// Unknown fields are ignored, so contracts may grow.
func (e Envelope) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: decode %s: %v", ErrMalformed, e.Type, err)
	}
	return nil
}

type actorKey struct{}

// WithActor returns ctx carrying actor, the one who issued the command being handled
// (set by the authentication middleware, and by a consumer to the actor of the event it
// handles, so the events a command causes downstream name who started it).
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom is the actor WithActor put in ctx, or "".
func ActorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}
