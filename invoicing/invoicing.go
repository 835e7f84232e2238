// Package invoicing is the invoicing bounded context. Its durable JetStream consumer
// "invoicing" keeps a read model of customers (for the invoice address) and of
// maintenance jobs, keyed by planning date and job id (planned, finished and cancelled,
// in either order; moved within their day or to another day, where they are billed)
// and, when a business day
// begins (DayHasPassed), invoices every finished and not yet invoiced job: one invoice
// per customer, numbered "YYYY-NNNNNN", €18.50 per hour of actual work in integer
// cents, due in 30 days. In the same transaction as the event's inbox row it stores
// the invoice, marks the jobs invoiced, queues the HTML invoice mail to the print
// company and adds InvoiceCreated to the outbox (relayed by invoicing/cmd/cdc); the
// mail dispatcher sends the mail after commit, retrying until the mail server accepts
// it. Invoices are served under /api/invoices.
//
// Its public surface is what a process needs to run it: Schema, New, NewWithOptions
// and Options.
package invoicing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/invoicing/internal/adapters"
	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/ports"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
)

// Schema is the Postgres schema the invoicing context owns; its outbox, inbox,
// consumer dead-letter and mail outbox tables live there too.
const Schema = "invoicing"

// DefaultMailDir is where invoice mails are written as .eml files when no Sender is
// given (relative to the working directory).
const DefaultMailDir = "./.pitstop-data/mail"

// Options tune NewWithOptions. The zero value is New's behaviour.
type Options struct {
	// Sender delivers invoice mails (an SMTP sender in production). Nil means a
	// mail.FileSender writing to DefaultMailDir.
	Sender mail.Sender
	// Dispatcher tunes the mail dispatcher's polling and retry back-off; zero fields
	// take the mail package's defaults.
	Dispatcher mail.DispatcherConfig
}

// New is NewWithOptions with the zero Options: invoice mails are written as files to
// DefaultMailDir.
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	return NewWithOptions(ctx, d, Options{})
}

// NewWithOptions migrates the invoicing schema (its tables, outbox, inbox and mail
// outbox) through d.Pool, whose search_path must be Schema, and returns the context's
// module: the HTTP API under /api/invoices and two workers, the durable consumer
// "invoicing" (events delivered at least once, applied exactly once per event id;
// events that can never be applied are dead-lettered with their reason) and the mail
// dispatcher that sends committed invoice mails through o.Sender.
func NewWithOptions(ctx context.Context, d app.Deps, o Options) (app.Module, error) {
	if d.Pool == nil || d.JS == nil {
		return nil, errors.New("invoicing: a Postgres pool and a JetStream client are required")
	}
	for _, migrate := range []func() error{
		func() error { return adapters.Migrate(ctx, d.Pool, Schema) },
		func() error { return outbox.Migrate(ctx, d.Pool, Schema) },
		func() error { return messaging.Migrate(ctx, d.Pool, Schema) },
		func() error { return mail.Migrate(ctx, d.Pool, Schema) },
	} {
		if err := migrate(); err != nil {
			return nil, fmt.Errorf("invoicing: %w", err)
		}
	}
	sender := o.Sender
	if sender == nil {
		sender = mail.NewFileSender(DefaultMailDir)
	}
	reg := d.Registerer()
	repo := adapters.NewInvoicePostgresRepository(d.Pool, Schema, adapters.NewMailbox(Schema))
	a := application.New(repo, adapters.NewInvoiceHTMLRenderer(adapters.DefaultPaymentDetails), time.Now)
	handlers := ports.NewEventHandlers(a, d.Log)
	consumer, err := messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{
		Name: ports.ConsumerName, FilterSubjects: ports.FilterSubjects,
	}, messaging.Bind(func(tx pgx.Tx) ports.Store { return repo.TxStore(tx) }, handlers.Handle), d.Log, reg)
	if err != nil {
		return nil, fmt.Errorf("invoicing: %w", err)
	}
	dispatcher := mail.NewDispatcher(d.Pool, Schema, sender, o.Dispatcher, d.Log, reg)
	return module{http: ports.NewHTTPHandlers(a, d.Log), consumer: consumer, dispatcher: dispatcher}, nil
}

type module struct {
	http       *ports.HTTPHandlers
	consumer   *messaging.Consumer
	dispatcher *mail.Dispatcher
}

// Routes mounts the invoicing API on r.
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
