package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

func ident(schema, table string) string { return pgx.Identifier{schema, table}.Sanitize() }

// Resolutions a dead letter can carry.
const (
	// ResolutionRequeued: the event was applied (consumer) or put back (relay rows are
	// deleted when requeued, so only consumers keep this).
	ResolutionRequeued = "requeued"
	// ResolutionRequeuePending: a copy is on the stream; still unresolved (and parking)
	// until the consumer applies it.
	ResolutionRequeuePending = "requeue-pending"
	// ResolutionSkipped: an operator gave up on the event; it is never applied.
	ResolutionSkipped = "skipped"
	// ResolutionSuperseded: the consumer dead-lettered the event again later.
	ResolutionSuperseded = "superseded"
)

// DeadLetter is one dead letter of either kind, as shown to operators.
type DeadLetter struct {
	// ID is the text form of the dead letter's ID ("relay:customers:42").
	ID string `json:"id"`
	// Kind is relay or consumer.
	Kind Kind `json:"kind"`
	// Context is the schema the dead letter lives in.
	Context string `json:"context"`
	// Consumer is the durable consumer that gave up (consumer dead letters only).
	Consumer  string `json:"consumer,omitempty"`
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	// Aggregate is the event's aggregate: the ce-subject for relay dead letters,
	// "<context>/<ce-subject>" for consumer dead letters; '' when it has none.
	Aggregate string `json:"aggregate,omitempty"`
	// Seq is the event's pitstop-seq (0 when it has none).
	Seq int64 `json:"seq"`
	// NATSSubject is the subject the message was consumed from (consumer only).
	NATSSubject string `json:"natsSubject,omitempty"`
	// Source is the ce-source (relay only; consumer dead letters keep it in Headers).
	Source string `json:"source,omitempty"`
	// OccurredAt is the event time (relay only).
	OccurredAt *time.Time `json:"occurredAt,omitempty"`
	// FailedAt is when it was dead-lettered.
	FailedAt time.Time `json:"failedAt"`
	// Attempts counts the publish attempts (relay) or deliveries (consumer).
	Attempts     int         `json:"attempts"`
	AttemptTimes []time.Time `json:"attemptTimes,omitempty"`
	// Error is the last real error.
	Error string `json:"error"`
	// StreamSeq is the message's stream sequence (consumer only).
	StreamSeq   int64      `json:"streamSeq,omitempty"`
	ResolvedAt  *time.Time `json:"resolvedAt,omitempty"`
	Resolution  string     `json:"resolution,omitempty"`
	ResolvedBy  string     `json:"resolvedBy,omitempty"`
	ResolveNote string     `json:"resolveNote,omitempty"`
	// Payload is the event body when it is JSON (Get only).
	Payload json.RawMessage `json:"payload,omitempty"`
	// RawPayload is the body when it is not JSON (Get only).
	RawPayload []byte `json:"rawPayload,omitempty"`
	// Headers are the message's NATS headers (consumer dead letters, Get only).
	Headers map[string][]string `json:"headers,omitempty"`
}

// Unresolved reports whether the dead letter still parks its aggregate.
func (d DeadLetter) Unresolved() bool { return d.ResolvedAt == nil }

func (d *DeadLetter) setPayload(b []byte) {
	if json.Valid(b) {
		d.Payload = json.RawMessage(b)
	} else {
		d.RawPayload = b
	}
}

// Filter selects dead letters. The zero value selects every unresolved dead letter.
type Filter struct {
	// Context limits the list to one context (schema).
	Context string
	// Kind limits the list to relay or consumer dead letters.
	Kind Kind
	// Consumer limits the list to one consumer's dead letters (implies Kind Consumer).
	Consumer string
	// Type is an event type, exact (pitstop.customers.CustomerUpdated) or its last
	// segment (CustomerUpdated).
	Type string
	// OlderThan and NewerThan bound the age of the dead letter (0: unbounded).
	OlderThan, NewerThan time.Duration
	// All includes resolved dead letters.
	All bool
}

// Validate checks f; the error wraps ErrInvalid.
func (f Filter) Validate() error {
	switch {
	case f.Kind != "" && f.Kind != Relay && f.Kind != Consumer:
		return invalid("kind must be relay or consumer, not %q", f.Kind)
	case f.Context != "" && !schemaName.MatchString(f.Context):
		return invalid("%q is not a context name", f.Context)
	case f.Consumer != "" && f.Kind == Relay:
		return invalid("a consumer filter selects consumer dead letters, not relay ones")
	case f.OlderThan < 0 || f.NewerThan < 0:
		return invalid("ages must not be negative")
	case f.OlderThan > 0 && f.NewerThan > 0 && f.NewerThan <= f.OlderThan:
		return invalid("newer-than %s and older-than %s select nothing", f.NewerThan, f.OlderThan)
	}
	return nil
}

func seconds(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	s := d.Seconds()
	return &s
}

const relayColumns = `id, event_id::text, event_type, source, subject, seq, occurred_at, dead_at, attempts,
	attempt_times, error, resolved_at, coalesce(resolution, ''), coalesce(resolved_by, ''), coalesce(resolve_note, '')`

const consumerColumns = `id, consumer, event_id, event_type, subject, aggregate, seq, failed_at, deliveries,
	attempt_times, reason, stream_seq, resolved_at, coalesce(resolution, ''), coalesce(resolved_by, ''), coalesce(resolve_note, '')`

func scanRelay(schema string, row pgx.Row, extra ...any) (DeadLetter, error) {
	d := DeadLetter{Kind: Relay, Context: schema}
	var (
		id       int64
		occurred time.Time
	)
	err := row.Scan(append([]any{&id, &d.EventID, &d.EventType, &d.Source, &d.Aggregate, &d.Seq, &occurred, &d.FailedAt,
		&d.Attempts, &d.AttemptTimes, &d.Error, &d.ResolvedAt, &d.Resolution, &d.ResolvedBy, &d.ResolveNote}, extra...)...)
	if err != nil {
		return DeadLetter{}, err
	}
	d.ID = ID{Kind: Relay, Context: schema, Row: id}.String()
	d.OccurredAt = &occurred
	return d, nil
}

func scanConsumer(schema string, row pgx.Row, extra ...any) (DeadLetter, error) {
	d := DeadLetter{Kind: Consumer, Context: schema}
	var id int64
	err := row.Scan(append([]any{&id, &d.Consumer, &d.EventID, &d.EventType, &d.NATSSubject, &d.Aggregate, &d.Seq,
		&d.FailedAt, &d.Attempts, &d.AttemptTimes, &d.Error, &d.StreamSeq, &d.ResolvedAt, &d.Resolution,
		&d.ResolvedBy, &d.ResolveNote}, extra...)...)
	if err != nil {
		return DeadLetter{}, err
	}
	d.ID = ID{Kind: Consumer, Context: schema, Row: id}.String()
	return d, nil
}

// List returns the dead letters f selects in every context in scope, oldest first.
// Bodies and headers are left out (Get has them).
func (a *Admin) List(ctx context.Context, f Filter) ([]DeadLetter, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	ts, err := a.contexts(ctx, f.Context)
	if err != nil {
		return nil, err
	}
	older, newer := seconds(f.OlderThan), seconds(f.NewerThan)
	var out []DeadLetter
	for _, t := range ts {
		if t.outboxDL && f.Consumer == "" && f.Kind != Consumer {
			rows, err := a.pool.Query(ctx, `SELECT `+relayColumns+` FROM `+ident(t.schema, "outbox_dead_letter")+`
				WHERE ($1 OR resolved_at IS NULL)
				  AND ($2 = '' OR event_type = $2 OR substring(event_type FROM '[^.]*$') = $2)
				  AND ($3::float8 IS NULL OR dead_at < now() - make_interval(secs => $3))
				  AND ($4::float8 IS NULL OR dead_at >= now() - make_interval(secs => $4))
				ORDER BY dead_at, id`, f.All, f.Type, older, newer)
			if err != nil {
				return nil, fmt.Errorf("list relay dead letters of %s: %w", t.schema, err)
			}
			dls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadLetter, error) { return scanRelay(t.schema, r) })
			if err != nil {
				return nil, fmt.Errorf("list relay dead letters of %s: %w", t.schema, err)
			}
			out = append(out, dls...)
		}
		if t.consumerDL && f.Kind != Relay {
			rows, err := a.pool.Query(ctx, `SELECT `+consumerColumns+` FROM `+ident(t.schema, "consumer_dead_letter")+`
				WHERE ($1 OR resolved_at IS NULL)
				  AND ($2 = '' OR event_type = $2 OR substring(event_type FROM '[^.]*$') = $2)
				  AND ($3::float8 IS NULL OR failed_at < now() - make_interval(secs => $3))
				  AND ($4::float8 IS NULL OR failed_at >= now() - make_interval(secs => $4))
				  AND ($5 = '' OR consumer = $5)
				ORDER BY failed_at, id`, f.All, f.Type, older, newer, f.Consumer)
			if err != nil {
				return nil, fmt.Errorf("list consumer dead letters of %s: %w", t.schema, err)
			}
			dls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadLetter, error) { return scanConsumer(t.schema, r) })
			if err != nil {
				return nil, fmt.Errorf("list consumer dead letters of %s: %w", t.schema, err)
			}
			out = append(out, dls...)
		}
	}
	slices.SortStableFunc(out, func(x, y DeadLetter) int { return x.FailedAt.Compare(y.FailedAt) })
	return out, nil
}

// tableOf returns the dead-letter table of id, or ErrNotFound when its context (in
// scope) has none.
func (a *Admin) tableOf(ctx context.Context, id ID) (tables, string, error) {
	t, err := a.context(ctx, id.Context)
	if err != nil {
		return tables{}, "", fmt.Errorf("dead letter %s: %w", id, ErrNotFound)
	}
	switch {
	case id.Kind == Relay && t.outboxDL:
		return t, ident(t.schema, "outbox_dead_letter"), nil
	case id.Kind == Consumer && t.consumerDL:
		return t, ident(t.schema, "consumer_dead_letter"), nil
	}
	return tables{}, "", fmt.Errorf("dead letter %s: %w", id, ErrNotFound)
}

// Get returns one dead letter with its body (and, for consumer dead letters, its
// headers), or an error wrapping ErrNotFound.
func (a *Admin) Get(ctx context.Context, id ID) (DeadLetter, error) {
	_, tbl, err := a.tableOf(ctx, id)
	if err != nil {
		return DeadLetter{}, err
	}
	return get(ctx, a.pool, id, tbl, false)
}

// get reads a dead letter on q (a pool or a transaction), FOR UPDATE if lock.
func get(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id ID, tbl string, lock bool) (DeadLetter, error) {
	suffix := ""
	if lock {
		suffix = " FOR UPDATE"
	}
	var (
		d       DeadLetter
		err     error
		payload []byte
	)
	if id.Kind == Relay {
		d, err = scanRelay(id.Context, q.QueryRow(ctx, `SELECT `+relayColumns+`, payload FROM `+tbl+` WHERE id = $1`+suffix, id.Row), &payload)
	} else {
		var headers []byte
		d, err = scanConsumer(id.Context, q.QueryRow(ctx, `SELECT `+consumerColumns+`, data, headers FROM `+tbl+` WHERE id = $1`+suffix, id.Row),
			&payload, &headers)
		if err == nil && len(headers) > 0 {
			if err := json.Unmarshal(headers, &d.Headers); err != nil {
				return DeadLetter{}, fmt.Errorf("dead letter %s: headers: %w", id, err)
			}
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	d.setPayload(payload)
	return d, nil
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
