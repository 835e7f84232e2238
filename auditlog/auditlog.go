// Package auditlog is the auditlog bounded context: it consumes every Pitstop event
// (pitstop.>) with the durable JetStream consumer "auditlog", stores each one once by
// event id with its CloudEvents attributes and its body, and serves them under
// /api/auditlog. It publishes nothing, so it has no outbox and no cmd/cdc.
//
// API (see internal/ports for the details):
//
//	GET /api/auditlog?type=&subject=&actor=&q=&from=&to=&sort=&limit=&cursor=
//	    {"items":[{eventId, type, subject, source, actor, time, data, recordedAt}], "next"?}
//	    type is exact, or a short name without dots (CustomerRegistered) matching the
//	    type's last segment; subject and actor exact; q a case-insensitive literal
//	    substring of type, subject, actor or any string value of the body; from
//	    inclusive and to exclusive (RFC 3339, on the event time); sort recorded (the
//	    default, recording order), time or type, "-" reversing it; bad parameters are
//	    a 400 problem document naming each. actor is "" for events without one.
//	GET /api/auditlog/{eventId}
//	    one entry; 404 when unknown or not a UUID.
//
// Tables in the schema: audit_entries (event_id primary key, the CloudEvents
// attributes and the actor extension as columns, data jsonb, seq for paging,
// recorded_at), inbox and consumer_dead_letter (messages that can never be recorded,
// with the reason).
//
// Its public surface is what a process needs to run it: Schema and New.
package auditlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/auditlog/internal/adapters"
	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/ports"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// Schema is the Postgres schema the auditlog context owns; its inbox and consumer
// dead-letter tables live there too.
const Schema = "auditlog"

// New migrates the auditlog schema (its tables, its inbox and dead-letter tables)
// through d.Pool, whose search_path must be Schema, and returns the context's module:
// the HTTP API under /api/auditlog and one worker, the durable consumer "auditlog" of
// every event (delivered at least once, recorded exactly once per event id; an event
// that cannot be recorded is kept in consumer_dead_letter with its reason).
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	if d.Pool == nil || d.JS == nil {
		return nil, errors.New("auditlog: a Postgres pool and a JetStream client are required")
	}
	if err := adapters.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	if err := messaging.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	a := application.New(adapters.NewEntryPostgresRepository(d.Pool))
	handlers := ports.NewEventHandlers(a, d.Log)
	reg := d.Registerer()
	consumer, err := messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{
		Name: ports.ConsumerName, FilterSubjects: ports.FilterSubjects,
	}, messaging.Bind(func(tx pgx.Tx) application.EntryRecorder { return adapters.NewEntryTxStore(tx) }, handlers.Handle),
		d.Log, reg)
	if err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	return module{http: ports.NewHTTPHandlers(a, d.Log), consumer: consumer}, nil
}

type module struct {
	http     *ports.HTTPHandlers
	consumer *messaging.Consumer
}

// Routes mounts the auditlog API on r.
func (m module) Routes(r chi.Router) { m.http.Routes(r) }

// Workers returns the consumer that records every event.
func (m module) Workers() []func(ctx context.Context) error {
	return []func(ctx context.Context) error{m.consumer.Run}
}

// ReadyChecks reports the consumer's infrastructure faults on /readyz.
func (m module) ReadyChecks() []httpx.Check {
	return []httpx.Check{{Name: "consumer", Check: m.consumer.Ready}}
}
