// Package application holds the invoicing context's use cases, one file per command
// and per query. The commands are driven by the JetStream consumer and run inside its
// inbox transaction: keeping the customers and jobs read model (RecordCustomer,
// RecordJobPlanned, RecordJobFinished, RecordJobCancelled, RecordJobMoved) and invoicing every finished job when a business
// day begins (InvoiceFinishedJobs). The queries serve the HTTP API.
package application

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
)

// SourceVersion orders the events a read-model row came from: the event's time
// (ce-time), then its id as a tie-breaker, so that every replica converges on the same
// row whatever order the events arrive in.
type SourceVersion struct {
	Time    time.Time
	EventID uuid.UUID
	// Seq is the event's position in its aggregate (pitstop-seq), 0 for an event
	// written before sequences existed. The consumer applies sequenced events in
	// order, so a sequenced event always wins; only unsequenced ones fall back to
	// event time, then id.
	Seq int64
}

// ReadModelWriter writes the customers and jobs read model. Implementations are bound
// to the consumer's transaction, so a write and its event's inbox row commit together.
type ReadModelWriter interface {
	// UpsertCustomer stores c unless the stored row comes from a newer (or the same)
	// SourceVersion; it reports whether c was written.
	UpsertCustomer(ctx context.Context, c domain.Customer, v SourceVersion) (bool, error)
	// RecordJobPlan stores the plan of a job, creating the job or completing one whose
	// finish arrived first. The plan of an invoiced job is not changed.
	RecordJobPlan(ctx context.Context, p domain.JobPlan) error
	// RecordJobFinish marks a job finished with its actual times, creating the job when
	// its plan has not arrived yet. A job already finished keeps its first times.
	RecordJobFinish(ctx context.Context, f domain.JobFinish) error
	// RecordJobCancel marks the job k cancelled, creating it when its plan has not
	// arrived yet, so that the plan finds it cancelled: a cancelled job is never
	// invoiced, even if a finish arrives for it. An invoiced job is left as billed. It
	// reports the job's state before.
	RecordJobCancel(ctx context.Context, k domain.JobKey) (JobState, error)
	// RescheduleJob gives the planned job k the new planned times start and end (a move
	// within its day; billing uses the actual times). It reports the job's state before.
	RescheduleJob(ctx context.Context, k domain.JobKey, start, end time.Time) (JobState, error)
	// ForgetJob removes the job k from its day (it moved to another day, where its new
	// plan is recorded as a job of its own and billed when finished there). A job that
	// is finished or invoiced is kept (the workshop moves planned jobs only). It reports
	// the job's state before.
	ForgetJob(ctx context.Context, k domain.JobKey) (JobState, error)
}

// JobState is what the read model knew of a job before a change.
type JobState struct {
	// Known is false when there was no row for the job.
	Known                        bool
	Planned, Finished, Cancelled bool
	// Invoiced is true when the job is on an invoice: nothing changes it any more.
	Invoiced bool
}

// PendingJob is a finished, not yet invoiced job whose plan and customer are known.
type PendingJob struct {
	Job      domain.BillableJob
	Customer domain.Customer
}

// InvoiceMail is the e-mail that carries an invoice to the print company. ID is its
// stable Message-ID (without angle brackets).
type InvoiceMail struct {
	ID      string
	From    string
	To      []string
	Subject string
	HTML    string
}

// InvoiceBook is the storage InvoiceFinishedJobsHandler needs, bound to the consumer's
// transaction: everything it writes commits with the DayHasPassed event's inbox row.
type InvoiceBook interface {
	// PendingJobs locks and returns every finished, not yet invoiced job whose plan and
	// customer are known, and counts the finished jobs still waiting for their plan or
	// their customer.
	PendingJobs(ctx context.Context) (pending []PendingJob, waiting int, err error)
	// NextInvoiceNumber hands out the next number of year; numbers of one year are
	// consecutive from 1, and the counter is part of the transaction (no gaps).
	NextInvoiceNumber(ctx context.Context, year int) (domain.InvoiceNumber, error)
	// AddInvoice stores inv with its lines, marks its jobs invoiced, queues m for sending
	// after commit and adds evs to the outbox. A job that is already invoiced makes it
	// fail with an error wrapping ErrJobAlreadyInvoiced.
	AddInvoice(ctx context.Context, inv domain.Invoice, m InvoiceMail, evs ...events.Envelope) error
}

// ErrJobAlreadyInvoiced is returned when an invoice would bill a job a second time.
var ErrJobAlreadyInvoiced = errors.New("job already invoiced")

// InvoiceRenderer renders an invoice as the HTML document sent to the print company.
type InvoiceRenderer interface {
	RenderInvoice(inv domain.Invoice) (string, error)
}

// InvoiceRecord is an invoice as stored, with its delivery state.
type InvoiceRecord struct {
	Invoice domain.Invoice
	// SentAt is when the mail server accepted the invoice mail; nil while it is pending.
	SentAt *time.Time
	// Position increases with creation order and never changes; it orders lists.
	Position int64
}

// InvoiceReader is every read the queries need.
type InvoiceReader interface {
	// Invoice returns the invoice with id or an error wrapping domain.ErrInvoiceNotFound.
	Invoice(ctx context.Context, id uuid.UUID) (InvoiceRecord, error)
	// Invoices returns at most n invoices with Position greater than after, in Position
	// order, only customerID's when it is not empty.
	Invoices(ctx context.Context, customerID string, after int64, n int) ([]InvoiceRecord, error)
}

// Application groups the context's use cases; the driving ports call its fields.
type Application struct {
	RecordCustomer      RecordCustomerHandler
	RecordJobPlanned    RecordJobPlannedHandler
	RecordJobFinished   RecordJobFinishedHandler
	RecordJobCancelled  RecordJobCancelledHandler
	RecordJobMoved      RecordJobMovedHandler
	InvoiceFinishedJobs InvoiceFinishedJobsHandler
	GetInvoice          GetInvoiceHandler
	ListInvoices        ListInvoicesHandler
}

// New builds the use cases: reads through reader, invoices rendered by renderer,
// events stamped with now.
func New(reader InvoiceReader, renderer InvoiceRenderer, now func() time.Time) Application {
	return Application{
		InvoiceFinishedJobs: NewInvoiceFinishedJobsHandler(renderer, now),
		GetInvoice:          NewGetInvoiceHandler(reader),
		ListInvoices:        NewListInvoicesHandler(reader),
	}
}
