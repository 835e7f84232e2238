// Package notifications is the notifications bounded context. Its durable JetStream
// consumer "notifications" keeps a read model of customers' contact data (newer event
// wins) and of maintenance jobs (planned, finished and cancelled, in either order;
// moved within their day or to another day, whose reminder then follows them) and, when a
// business day begins (DayHasPassed), reminds every customer of their planned,
// unfinished jobs of that day: one e-mail per customer from noreply@pitstop.example,
// subject "Vehicle maintenance reminder", listing each job's date, time, description
// and licence number. In the same transaction as the event's inbox row it stores the
// reminder, marks the jobs reminded and queues the mail (stable Message-ID
// reminder.<customerId>.<date>@pitstop.example); the mail dispatcher sends the mail
// after commit, retrying until the mail server accepts it, and in the transaction that
// marks the mail sent adds MaintenanceReminderSent (time: when it was sent) to the
// outbox (relayed by notifications/cmd/cdc). So the event says the mail has left, never
// merely that it was queued, and is published once per reminder. A job is reminded at
// most once whatever is redelivered. Reminders are served under /api/reminders.
//
// Jobs whose customer is unknown when their day begins (a CustomerRegistered delivered
// after the DayHasPassed) stay pending and are reminded when the customer's data
// arrives during the same business day; after that day they are never reminded (see
// README.md).
//
// Its public surface is what a process needs to run it: Schema, DefaultMailDir, New,
// NewWithOptions and Options.
package notifications

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/notifications/internal/adapters"
	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/ports"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
)

// Schema is the Postgres schema the notifications context owns; its outbox, inbox,
// consumer dead-letter and mail outbox tables live there too.
const Schema = "notifications"

// DefaultMailDir is where reminder mails are written as .eml files when no Sender is
// given (relative to the working directory).
const DefaultMailDir = "./.pitstop-data/mail"

// Options tune NewWithOptions. The zero value is New's behaviour.
type Options struct {
	// Sender delivers reminder mails (an SMTP sender in production). Nil means a
	// mail.FileSender writing to DefaultMailDir.
	Sender mail.Sender
	// Dispatcher tunes the mail dispatcher's polling and retry back-off; zero fields
	// take the mail package's defaults. The context sets its own OnSent (publishing
	// MaintenanceReminderSent); an OnSent given here runs after it, in the same
	// transaction.
	Dispatcher mail.DispatcherConfig
}

// New is NewWithOptions with the zero Options: reminder mails are written as files to
// DefaultMailDir. It reads nothing from the environment.
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	return NewWithOptions(ctx, d, Options{})
}

// NewWithOptions migrates the notifications schema (its tables, outbox, inbox and mail
// outbox) through d.Pool, whose search_path must be Schema, and returns the context's
// module: the HTTP API under /api/reminders and two workers, the durable consumer
// "notifications" (events delivered at least once, applied exactly once per event id;
// events that can never be applied are dead-lettered with their reason) and the mail
// dispatcher that sends committed reminder mails through o.Sender and publishes each
// reminder's MaintenanceReminderSent when its mail has been accepted.
func NewWithOptions(ctx context.Context, d app.Deps, o Options) (app.Module, error) {
	if d.Pool == nil || d.JS == nil {
		return nil, errors.New("notifications: a Postgres pool and a JetStream client are required")
	}
	for _, migrate := range []func() error{
		func() error { return adapters.Migrate(ctx, d.Pool, Schema) },
		func() error { return outbox.Migrate(ctx, d.Pool, Schema) },
		func() error { return messaging.Migrate(ctx, d.Pool, Schema) },
		func() error { return mail.Migrate(ctx, d.Pool, Schema) },
	} {
		if err := migrate(); err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
	}
	sender := o.Sender
	if sender == nil {
		sender = mail.NewFileSender(DefaultMailDir)
	}
	reg := d.Registerer()
	mails := adapters.NewReminderMailQueue(Schema)
	a := application.New(adapters.NewReminderPostgresRepository(d.Pool))
	handlers := ports.NewEventHandlers(a, d.Log)
	consumer, err := messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{
		Name: ports.ConsumerName, FilterSubjects: ports.FilterSubjects,
	}, messaging.Bind(func(tx pgx.Tx) application.Store { return adapters.NewReminderTxStore(tx, mails, Schema) }, handlers.Handle),
		d.Log, reg)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	sent := ports.NewMailSentHandlers(a, d.Log)
	dcfg := o.Dispatcher
	dcfg.OnSent = chainOnSent(messaging.Bind(func(tx pgx.Tx) application.SentReminderBook {
		return adapters.NewReminderTxStore(tx, mails, Schema)
	}, sent.OnSent), o.Dispatcher.OnSent)
	dispatcher := mail.NewDispatcher(d.Pool, Schema, sender, dcfg, d.Log, reg)
	return module{http: ports.NewHTTPHandlers(a, d.Log), consumer: consumer, dispatcher: dispatcher}, nil
}

// chainOnSent runs first, then next (if any), in the same transaction.
func chainOnSent(first, next func(context.Context, pgx.Tx, mail.Record) error) func(context.Context, pgx.Tx, mail.Record) error {
	if next == nil {
		return first
	}
	return func(ctx context.Context, tx pgx.Tx, r mail.Record) error {
		if err := first(ctx, tx, r); err != nil {
			return err
		}
		return next(ctx, tx, r)
	}
}

type module struct {
	http       *ports.HTTPHandlers
	consumer   *messaging.Consumer
	dispatcher *mail.Dispatcher
}

// Routes mounts the notifications API on r.
func (m module) Routes(r chi.Router) { m.http.Routes(r) }

// Workers returns the event consumer and the mail dispatcher.
func (m module) Workers() []func(ctx context.Context) error {
	return []func(ctx context.Context) error{m.consumer.Run, m.dispatcher.Run}
}

// ReadyChecks reports the consumer's and the mail dispatcher's infrastructure faults
// on /readyz.
func (m module) ReadyChecks() []httpx.Check {
	return []httpx.Check{{Name: "consumer", Check: m.consumer.Ready}, {Name: "mail", Check: m.dispatcher.Ready}}
}
