package application

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/invoicingevents"
	"github.com/pitstop/pitstop/shared-go/events"
)

// Addresses of the invoice mail.
const (
	// InvoiceMailFrom is the sender of every invoice mail.
	InvoiceMailFrom = "invoicing@pitstop.example"
	// PrintCompanyAddress is the print company that receives, prints and posts the
	// invoices.
	PrintCompanyAddress = "invoices@prestoprint.example"
)

// InvoiceMailID is the stable Message-ID of the mail of invoice id: the same invoice
// always has the same Message-ID, so a resend is recognisable.
func InvoiceMailID(id uuid.UUID) string { return "invoice." + id.String() + "@pitstop.example" }

// InvoiceFinishedJobs is the command issued when a business day begins
// (DayHasPassed): invoice every finished job that is not invoiced yet.
type InvoiceFinishedJobs struct {
	// Date is the day that began; it is the date of the invoices.
	Date domain.Date
}

// InvoiceFinishedJobsResult is what InvoiceFinishedJobs did.
type InvoiceFinishedJobsResult struct {
	// Invoices are the invoices created, in customer id order.
	Invoices []domain.Invoice
	// Waiting counts finished jobs left uninvoiced because their plan or their customer
	// is not known yet; a later day invoices them.
	Waiting int
}

// InvoiceFinishedJobsHandler creates the day's invoices.
type InvoiceFinishedJobsHandler struct {
	renderer InvoiceRenderer
	now      func() time.Time
	newID    func() uuid.UUID
}

// NewInvoiceFinishedJobsHandler returns a handler rendering invoices with renderer and
// stamping events with now.
func NewInvoiceFinishedJobsHandler(renderer InvoiceRenderer, now func() time.Time) InvoiceFinishedJobsHandler {
	return InvoiceFinishedJobsHandler{renderer: renderer, now: now, newID: uuid.New}
}

// Handle invoices, through book (bound to the consumer's transaction), every finished
// and not yet invoiced job whose plan and customer are known: one invoice per customer
// covering all of that customer's such jobs, dated cmd.Date, numbered in customer id
// order, with its mail to the print company queued and its InvoiceCreated event in the
// outbox. Finished jobs whose plan or customer has not arrived stay uninvoiced (they
// are counted in Waiting) and are invoiced on a later day. Because the jobs are marked
// invoiced in the same transaction as the event's inbox row, a job is invoiced at most
// once however often the day's event is delivered.
func (h InvoiceFinishedJobsHandler) Handle(ctx context.Context, book InvoiceBook, cmd InvoiceFinishedJobs) (InvoiceFinishedJobsResult, error) {
	if cmd.Date.IsZero() {
		return InvoiceFinishedJobsResult{}, fmt.Errorf("invoice finished jobs: %w", domain.ErrInvalidDate)
	}
	pending, waiting, err := book.PendingJobs(ctx)
	if err != nil {
		return InvoiceFinishedJobsResult{}, fmt.Errorf("invoice finished jobs of %s: %w", cmd.Date, err)
	}
	res := InvoiceFinishedJobsResult{Waiting: waiting}
	for _, g := range byCustomer(pending) {
		inv, err := h.invoice(ctx, book, cmd.Date, g)
		if err != nil {
			return InvoiceFinishedJobsResult{}, fmt.Errorf("invoice customer %s on %s: %w", g.customer.ID(), cmd.Date, err)
		}
		res.Invoices = append(res.Invoices, inv)
	}
	return res, nil
}

type customerJobs struct {
	customer domain.Customer
	jobs     []domain.BillableJob
}

// byCustomer groups jobs by customer, in customer id order (first appearance order
// when the book already sorted them so).
func byCustomer(pending []PendingJob) []customerJobs {
	var out []customerJobs
	index := map[string]int{}
	for _, p := range pending {
		k, ok := index[p.Customer.ID()]
		if !ok {
			k = len(out)
			index[p.Customer.ID()] = k
			out = append(out, customerJobs{customer: p.Customer})
		}
		out[k].jobs = append(out[k].jobs, p.Job)
	}
	return out
}

func (h InvoiceFinishedJobsHandler) invoice(ctx context.Context, book InvoiceBook, day domain.Date, g customerJobs) (domain.Invoice, error) {
	number, err := book.NextInvoiceNumber(ctx, day.Year())
	if err != nil {
		return domain.Invoice{}, err
	}
	inv, err := domain.NewInvoice(h.newID(), number, day, g.customer, g.jobs)
	if err != nil {
		return domain.Invoice{}, err
	}
	html, err := h.renderer.RenderInvoice(inv)
	if err != nil {
		return domain.Invoice{}, fmt.Errorf("render invoice %s: %w", inv.Number(), err)
	}
	mail := InvoiceMail{ID: InvoiceMailID(inv.ID()), From: InvoiceMailFrom, To: []string{PrintCompanyAddress},
		Subject: "Invoice " + inv.Number().String(), HTML: html}
	ev, err := events.New(invoicingevents.Source, InvoiceCreatedEvent(inv), h.now())
	if err != nil {
		return domain.Invoice{}, err
	}
	if err := book.AddInvoice(ctx, inv, mail, ev); err != nil {
		return domain.Invoice{}, err
	}
	return inv, nil
}

// InvoiceCreatedEvent is the contract form of inv.
func InvoiceCreatedEvent(inv domain.Invoice) invoicingevents.InvoiceCreated {
	jobs := make([]invoicingevents.InvoicedJob, 0, len(inv.Lines()))
	for _, l := range inv.Lines() {
		jobs = append(jobs, invoicingevents.InvoicedJob{PlanningDate: l.Date().String(), JobID: l.JobID()})
	}
	return invoicingevents.InvoiceCreated{
		InvoiceID:   inv.ID().String(),
		InvoiceDate: inv.Date().String(),
		CustomerID:  inv.Customer().ID(),
		JobIDs:      inv.JobIDs(),
		Jobs:        jobs,
		Amount:      invoicingevents.Money{Currency: inv.Total().Currency().Code(), Cents: inv.Total().Cents()},
	}
}
