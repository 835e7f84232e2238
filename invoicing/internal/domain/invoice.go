// Package domain is the invoicing context's model: money in integer cents, the hourly
// rate and its rounding rule, invoice numbers, the jobs and customers invoicing learns
// from other contexts' events, and the Invoice aggregate. It imports no adapter.
package domain

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// PaymentTermDays is the number of days between an invoice's date and its due date.
const PaymentTermDays = 30

// InvoiceLine is one billed job on an invoice. The zero value is not valid.
type InvoiceLine struct {
	d LineDetails
}

// LineDetails are the fields of an invoice line (used to rehydrate one from storage).
type LineDetails struct {
	JobID         string
	Date          Date
	LicenseNumber string
	Description   string
	ActualStart   time.Time
	ActualEnd     time.Time
	Amount        Money
}

// RehydrateInvoiceLine rebuilds a stored line without validating it again.
func RehydrateInvoiceLine(d LineDetails) InvoiceLine { return InvoiceLine{d: d} }

// JobID is the billed job.
func (l InvoiceLine) JobID() string { return l.d.JobID }

// Date is the job's planning date.
func (l InvoiceLine) Date() Date { return l.d.Date }

// LicenseNumber is the vehicle's licence number.
func (l InvoiceLine) LicenseNumber() string { return l.d.LicenseNumber }

// Description is what was done.
func (l InvoiceLine) Description() string { return l.d.Description }

// ActualStart is when the work started.
func (l InvoiceLine) ActualStart() time.Time { return l.d.ActualStart }

// ActualEnd is when the work ended.
func (l InvoiceLine) ActualEnd() time.Time { return l.d.ActualEnd }

// Duration is the billed duration.
func (l InvoiceLine) Duration() time.Duration { return l.d.ActualEnd.Sub(l.d.ActualStart) }

// Hours is Duration in hours with two decimals, for display (see HoursText).
func (l InvoiceLine) Hours() string { return HoursText(l.Duration()) }

// Amount is the charge for the job (ChargeFor of Duration).
func (l InvoiceLine) Amount() Money { return l.d.Amount }

// Details returns all fields.
func (l InvoiceLine) Details() LineDetails { return l.d }

// Invoice is the invoicing aggregate: one customer's bill for the jobs that were
// finished and not yet invoiced when a business day began. Its lines are ordered by
// job date, actual start and job id; its total is the sum of its lines; it is due
// PaymentTermDays after its date. The zero value is not valid; use NewInvoice or
// RehydrateInvoice.
type Invoice struct {
	id       uuid.UUID
	number   InvoiceNumber
	date     Date
	due      Date
	customer Customer
	lines    []InvoiceLine
	total    Money
}

// NewInvoice bills jobs to customer. Every job must be the customer's, no job (planning
// date and id) may appear twice, and there must be at least one; number must be of the invoice date's
// year. Errors wrap ErrInvalidInvoice.
func NewInvoice(id uuid.UUID, number InvoiceNumber, date Date, customer Customer, jobs []BillableJob) (Invoice, error) {
	switch {
	case id == uuid.Nil:
		return Invoice{}, fmt.Errorf("%w: nil invoice id", ErrInvalidInvoice)
	case date.IsZero():
		return Invoice{}, fmt.Errorf("%w: no invoice date", ErrInvalidInvoice)
	case number.IsZero() || number.Year() != date.Year():
		return Invoice{}, fmt.Errorf("%w: number %s is not of the year of %s", ErrInvalidInvoice, number, date)
	case customer.ID() == "":
		return Invoice{}, fmt.Errorf("%w: no customer", ErrInvalidInvoice)
	case len(jobs) == 0:
		return Invoice{}, fmt.Errorf("%w: no jobs to bill", ErrInvalidInvoice)
	}
	seen := make(map[JobKey]bool, len(jobs))
	lines := make([]InvoiceLine, 0, len(jobs))
	for _, j := range jobs {
		if j.CustomerID() != customer.ID() {
			return Invoice{}, fmt.Errorf("%w: job %s is customer %s's, not %s's", ErrInvalidInvoice, j.JobID(), j.CustomerID(), customer.ID())
		}
		if seen[j.Key()] {
			return Invoice{}, fmt.Errorf("%w: job %s billed twice", ErrInvalidInvoice, j.Key())
		}
		seen[j.Key()] = true
		p, f := j.Plan(), j.Finish()
		lines = append(lines, InvoiceLine{d: LineDetails{JobID: j.JobID(), Date: p.PlanningDate(),
			LicenseNumber: p.LicenseNumber(), Description: p.Description(),
			ActualStart: f.ActualStart(), ActualEnd: f.ActualEnd(), Amount: f.Amount()}})
	}
	slices.SortFunc(lines, func(a, b InvoiceLine) int {
		return cmp.Or(a.d.Date.Time().Compare(b.d.Date.Time()), a.d.ActualStart.Compare(b.d.ActualStart),
			cmp.Compare(a.d.JobID, b.d.JobID))
	})
	total, err := sum(lines)
	if err != nil {
		return Invoice{}, fmt.Errorf("%w: %w", ErrInvalidInvoice, err)
	}
	return Invoice{id: id, number: number, date: date, due: date.AddDays(PaymentTermDays), customer: customer,
		lines: lines, total: total}, nil
}

// RehydrateInvoice rebuilds a stored invoice without validating it again; the total is
// the sum of the lines.
func RehydrateInvoice(id uuid.UUID, number InvoiceNumber, date, due Date, customer Customer, lines []InvoiceLine) Invoice {
	total, _ := sum(lines)
	return Invoice{id: id, number: number, date: date, due: due, customer: customer, lines: slices.Clone(lines), total: total}
}

func sum(lines []InvoiceLine) (Money, error) {
	total := NewMoney(0, HourlyRate.Currency())
	for _, l := range lines {
		var err error
		if total, err = total.Add(l.Amount()); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// ID is the invoice id.
func (i Invoice) ID() uuid.UUID { return i.id }

// Number is the invoice number.
func (i Invoice) Number() InvoiceNumber { return i.number }

// Date is the invoice date: the business day that began when it was created.
func (i Invoice) Date() Date { return i.date }

// DueDate is when payment is due: Date plus PaymentTermDays.
func (i Invoice) DueDate() Date { return i.due }

// Customer is who the invoice is addressed to, as known when it was created (later
// changes to the customer do not alter an issued invoice).
func (i Invoice) Customer() Customer { return i.customer }

// Lines are the billed jobs in order (a copy).
func (i Invoice) Lines() []InvoiceLine { return slices.Clone(i.lines) }

// JobIDs are the billed jobs' ids in line order. Ids are unique per planning day only,
// so an id may appear twice (Lines tell the days apart).
func (i Invoice) JobIDs() []string {
	ids := make([]string, len(i.lines))
	for k, l := range i.lines {
		ids[k] = l.JobID()
	}
	return ids
}

// Total is the amount due: the sum of the lines.
func (i Invoice) Total() Money { return i.total }
