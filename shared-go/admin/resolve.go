package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// Event types the operations write (pitstop.<context>.<name>).
const (
	// EventSkippedName is the tombstone written at a skipped relay dead letter's
	// position: pitstop.<context>.EventSkipped, same ce-subject and pitstop-seq, body
	// {skippedEventId, skippedType, reason, by}.
	EventSkippedName = "EventSkipped"
	// DeadLetterSkippedName records a skipped consumer dead letter in the audit log:
	// pitstop.<context>.DeadLetterSkipped, no aggregate, body {consumer, eventId,
	// eventType, aggregate, seq, deadLetter, reason, by}.
	DeadLetterSkippedName = "DeadLetterSkipped"
)

// EventSkipped is the body of the tombstone of a skipped relay dead letter.
type EventSkipped struct {
	SkippedEventID string `json:"skippedEventId"`
	SkippedType    string `json:"skippedType"`
	Reason         string `json:"reason"`
	By             string `json:"by"`
}

// DeadLetterSkipped is the body of the audit event of a skipped consumer dead letter.
type DeadLetterSkipped struct {
	Consumer   string `json:"consumer"`
	EventID    string `json:"eventId"`
	EventType  string `json:"eventType"`
	Aggregate  string `json:"aggregate,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	DeadLetter string `json:"deadLetter"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// Outcome is what a requeue or skip did.
type Outcome struct {
	ID string `json:"id"`
	// Action is "requeued" (relay: back in the outbox), "requeue-pending" (consumer:
	// a copy is on the stream) or "skipped".
	Action string `json:"action"`
	// EventID is the dead letter's event.
	EventID string `json:"eventId"`
	// WrittenEventID is the event written by the operation: the relay tombstone or the
	// audit event of a consumer skip (none for requeues and for contexts without a
	// place to record it).
	WrittenEventID string `json:"writtenEventId,omitempty"`
	// StreamSeq is the stream sequence of a requeued copy (consumer requeue).
	StreamSeq uint64 `json:"streamSeq,omitempty"`
	// Duplicate: the broker dropped the copy as a duplicate of an earlier requeue's
	// copy still in its duplicate window (that copy is handled instead).
	Duplicate bool `json:"duplicate,omitempty"`
}

func checkWho(by string) error {
	if strings.TrimSpace(by) == "" {
		return invalid("who resolves the dead letter (by) is required")
	}
	return nil
}

// Requeue re-drives a dead letter, recording by and note (note may be empty).
//
// A relay dead letter goes back into its context's outbox, in one transaction, under
// its original id (ahead of the later rows of its aggregate that waited behind it),
// with its event id, pitstop-seq and body, attempts reset; the dead letter row is
// deleted and the relay woken (NOTIFY). The relay publishes it through its normal path
// and, once acknowledged, the parked rows after it.
//
// A consumer dead letter is published again: a copy of the stored message (headers
// and body) to its NATS subject, with Nats-Msg-Id "<event id>/requeue/<row>" and
// messaging.HeaderRequeued, awaited until its PubAck. The dead letter becomes
// requeue-pending (still unresolved, still parking) until the consumer applies the
// copy and resolves it as requeued; every other consumer's inbox drops the copy.
//
// Errors wrap ErrNotFound, ErrResolved (already requeued by the relay or skipped),
// ErrInvalid (no by) or ErrNoBroker.
func (a *Admin) Requeue(ctx context.Context, id ID, by, note string) (Outcome, error) {
	if err := checkWho(by); err != nil {
		return Outcome{}, err
	}
	t, tbl, err := a.tableOf(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	if id.Kind == Relay {
		return a.requeueRelay(ctx, t, tbl, id, by, note)
	}
	return a.requeueConsumer(ctx, tbl, id, by, note)
}

func (a *Admin) requeueRelay(ctx context.Context, t tables, tbl string, id ID, by, note string) (Outcome, error) {
	if !t.outbox {
		return Outcome{}, fmt.Errorf("dead letter %s: context %s has no outbox to requeue into: %w", id, t.schema, ErrNotFound)
	}
	out := Outcome{ID: id.String(), Action: ResolutionRequeued}
	err := postgres.WithTx(ctx, a.pool, func(tx pgx.Tx) error {
		d, err := get(ctx, tx, id, tbl, true)
		if err != nil {
			return err
		}
		if !d.Unresolved() {
			return fmt.Errorf("dead letter %s was %s: %w", id, d.Resolution, ErrResolved)
		}
		out.EventID = d.EventID
		mark := "requeued by " + by
		if note != "" {
			mark += ": " + note
		}
		// OVERRIDING SYSTEM VALUE keeps the original id, so the row is claimed before the
		// later rows of its aggregate (the relay claims in id order). It is held: the log
		// source leaves it to the table, where it goes out before those later rows.
		if _, err := tx.Exec(ctx, `INSERT INTO `+ident(t.schema, "outbox")+` (id, event_id, event_type, source, subject, seq,
				occurred_at, payload, created_at, actor, attempts, available_at, attempt_times, last_error, held)
			OVERRIDING SYSTEM VALUE
			SELECT id, event_id, event_type, source, subject, seq, occurred_at, payload, created_at, actor, 0, '-infinity',
				attempt_times, $2, true
			FROM `+tbl+` WHERE id = $1`, id.Row, mark); err != nil {
			return fmt.Errorf("put back into the outbox: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+tbl+` WHERE id = $1`, id.Row); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, '')`, outbox.Channel(t.schema))
		return err
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("requeue %s: %w", id, err)
	}
	return out, nil
}

func (a *Admin) requeueConsumer(ctx context.Context, tbl string, id ID, by, note string) (Outcome, error) {
	if a.js == nil {
		return Outcome{}, fmt.Errorf("requeue %s: %w", id, ErrNoBroker)
	}
	d, err := get(ctx, a.pool, id, tbl, false)
	if err != nil {
		return Outcome{}, err
	}
	if !d.Unresolved() {
		return Outcome{}, fmt.Errorf("requeue %s: it was %s: %w", id, d.Resolution, ErrResolved)
	}
	h := nats.Header{}
	for k, vs := range d.Headers {
		h[k] = append([]string(nil), vs...)
	}
	eventID := d.EventID
	if eventID == "" {
		eventID = "unknown"
	}
	h.Set(events.HeaderMsgID, eventID+"/requeue/"+fmt.Sprint(id.Row))
	h.Set(messaging.HeaderRequeued, fmt.Sprint(id.Row))
	data := []byte(d.Payload)
	if d.Payload == nil {
		data = d.RawPayload
	}
	ack, err := a.js.PublishMsg(ctx, &nats.Msg{Subject: d.NATSSubject, Header: h, Data: data})
	if err != nil {
		return Outcome{}, fmt.Errorf("requeue %s: publish the copy: %w", id, err)
	}
	// The consumer may already have applied the copy and resolved the dead letter as
	// requeued; who requeued it is recorded either way.
	if _, err := a.pool.Exec(ctx, `UPDATE `+tbl+` SET
			resolution = CASE WHEN resolved_at IS NULL THEN $2 ELSE resolution END,
			resolved_by = $3, resolve_note = $4
		WHERE id = $1`, id.Row, ResolutionRequeuePending, by, note); err != nil {
		return Outcome{}, fmt.Errorf("requeue %s: the copy is published (stream seq %d) but marking the dead letter failed: %w",
			id, ack.Sequence, err)
	}
	return Outcome{ID: id.String(), Action: ResolutionRequeuePending, EventID: d.EventID, StreamSeq: ack.Sequence,
		Duplicate: ack.Duplicate}, nil
}

// Skip gives up on a dead letter for good, recording by and reason (both required).
//
// A relay dead letter is marked skipped and, in the same transaction, a tombstone takes
// its place in the outbox: pitstop.<context>.EventSkipped with a new event id, the same
// ce-source, ce-subject and pitstop-seq, and the dead letter's original id (so it is
// published before the parked rows of its aggregate). Consumers advance past that
// position without calling handlers that do not want the type; the audit log records it.
//
// A consumer dead letter is marked skipped and, in the same transaction, the consumer's
// aggregate sequence advances past its seq (if the consumer stands just before it) and
// its event id goes into the consumer's inbox, so its later events are applied and a
// redelivery of it is a duplicate. The audit log gets pitstop.<context>.DeadLetterSkipped
// through the context's outbox, or directly in its own table for the auditlog context.
//
// Errors wrap ErrNotFound, ErrResolved or ErrInvalid.
func (a *Admin) Skip(ctx context.Context, id ID, by, reason string) (Outcome, error) {
	if err := checkWho(by); err != nil {
		return Outcome{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Outcome{}, invalid("a reason is required to skip a dead letter")
	}
	t, tbl, err := a.tableOf(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{ID: id.String(), Action: ResolutionSkipped}
	err = postgres.WithTx(ctx, a.pool, func(tx pgx.Tx) error {
		d, err := get(ctx, tx, id, tbl, true)
		if err != nil {
			return err
		}
		if !d.Unresolved() {
			return fmt.Errorf("dead letter %s was %s: %w", id, d.Resolution, ErrResolved)
		}
		out.EventID = d.EventID
		if _, err := tx.Exec(ctx, `UPDATE `+tbl+` SET resolved_at = now(), resolution = $2, resolved_by = $3, resolve_note = $4
			WHERE id = $1`, id.Row, ResolutionSkipped, by, reason); err != nil {
			return err
		}
		if id.Kind == Relay {
			out.WrittenEventID, err = a.tombstone(ctx, tx, t, d, id, by, reason)
		} else {
			out.WrittenEventID, err = a.skipConsumed(ctx, tx, t, d, id, by, reason)
		}
		return err
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("skip %s: %w", id, err)
	}
	return out, nil
}

// tombstone writes EventSkipped at the skipped row's id and seq.
func (a *Admin) tombstone(ctx context.Context, tx pgx.Tx, t tables, d DeadLetter, id ID, by, reason string) (string, error) {
	if !t.outbox {
		return "", nil // no outbox, no position to fill
	}
	body, err := json.Marshal(EventSkipped{SkippedEventID: d.EventID, SkippedType: d.EventType, Reason: reason, By: by})
	if err != nil {
		return "", err
	}
	evID := uuid.New()
	if _, err := tx.Exec(ctx, `INSERT INTO `+ident(t.schema, "outbox")+` (id, event_id, event_type, source, subject, seq,
			occurred_at, payload, held)
		OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)`,
		id.Row, evID, "pitstop."+t.schema+"."+EventSkippedName, d.Source, d.Aggregate, d.Seq,
		a.opts.Now().UTC(), body); err != nil {
		return "", fmt.Errorf("write the tombstone: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, outbox.Channel(t.schema)); err != nil {
		return "", err
	}
	return evID.String(), nil
}

// skipConsumed moves the consumer past the skipped event and records the skip.
func (a *Admin) skipConsumed(ctx context.Context, tx pgx.Tx, t tables, d DeadLetter, id ID, by, reason string) (string, error) {
	if t.inbox && d.Aggregate != "" && d.Seq > 0 {
		// Only from the position just before it: a consumer elsewhere (a later requeue
		// applied it, or the dead letter is stale) is left alone.
		if _, err := tx.Exec(ctx, `INSERT INTO `+ident(t.schema, "inbox_sequence")+` AS s (consumer, aggregate, last_seq)
			VALUES ($1, $2, $3)
			ON CONFLICT (consumer, aggregate) DO UPDATE SET last_seq = EXCLUDED.last_seq WHERE s.last_seq = EXCLUDED.last_seq - 1`,
			d.Consumer, d.Aggregate, d.Seq); err != nil {
			return "", fmt.Errorf("advance the inbox sequence: %w", err)
		}
	}
	if evID, err := uuid.Parse(d.EventID); err == nil && t.inbox {
		if _, err := tx.Exec(ctx, `INSERT INTO `+ident(t.schema, "inbox")+` (consumer, event_id, event_type, aggregate, seq)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, d.Consumer, evID, d.EventType, d.Aggregate, d.Seq); err != nil {
			return "", fmt.Errorf("record in the inbox: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+ident(t.schema, "consumer_failure")+` WHERE consumer = $1 AND event_id = $2`,
			d.Consumer, evID); err != nil {
			return "", err
		}
	}
	body, err := json.Marshal(DeadLetterSkipped{Consumer: d.Consumer, EventID: d.EventID, EventType: d.EventType,
		Aggregate: d.Aggregate, Seq: d.Seq, DeadLetter: id.String(), Reason: reason, By: by})
	if err != nil {
		return "", err
	}
	ev := events.Envelope{ID: uuid.New(), Type: "pitstop." + t.schema + "." + DeadLetterSkippedName,
		Source: "pitstop/" + t.schema, Time: a.opts.Now().UTC(), Data: body}
	switch {
	case t.outbox:
		// The writer uses unqualified names: this transaction's search_path is the context's.
		if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, pgx.Identifier{t.schema}.Sanitize()); err != nil {
			return "", err
		}
		if err := outbox.NewWriter(t.schema).Add(ctx, tx, ev); err != nil {
			return "", err
		}
	case t.auditEntries:
		// The audit log consumes no events of its own: the entry goes straight into its
		// table, under the same lock its recorder takes (entries become visible in seq order).
		if _, err := tx.Exec(ctx, `LOCK TABLE `+ident(t.schema, "audit_entries")+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+ident(t.schema, "audit_entries")+`
				(event_id, type, subject, source, time, time_text, data) VALUES ($1, $2, '', $3, $4, $5, $6)`,
			ev.ID, ev.Type, ev.Source, ev.Time.Truncate(time.Microsecond), ev.Time.Format(time.RFC3339Nano), string(body)); err != nil {
			return "", fmt.Errorf("record in the audit log: %w", err)
		}
	default:
		return "", nil
	}
	return ev.ID.String(), nil
}
