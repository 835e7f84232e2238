package ports

import (
	"context"
	"log/slog"
	"time"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// ConsumerName is the durable JetStream consumer (and inbox key) of invoicing.
const ConsumerName = "invoicing"

// FilterSubjects are the events invoicing consumes: customers (for the invoice
// address), planned, finished, cancelled and moved maintenance jobs (what to bill) and
// DayHasPassed (when to bill).
var FilterSubjects = []string{
	customerevents.SubjectAll,
	workshopevents.SubjectMaintenanceJobPlanned,
	workshopevents.SubjectMaintenanceJobFinished,
	workshopevents.SubjectMaintenanceJobCancelled,
	workshopevents.SubjectMaintenanceJobMoved,
	timekeeperevents.SubjectDayHasPassed,
}

// Store is what the event handlers write through: the read model and the invoices,
// bound by messaging.Bind to the consumer's transaction.
type Store interface {
	application.ReadModelWriter
	application.InvoiceBook
}

// EventHandlers apply invoicing's events. Handle receives the store bound to the
// consumer's transaction: every effect commits together with the event's inbox row, so
// a redelivered event changes nothing, and the read model is order-tolerant
// (customers: newer event wins; jobs, keyed by planning date and id: plan, finish and
// cancel merge in either order). A move relies on the consumer's per-aggregate order
// (a day's MaintenanceJobMoved comes after the job's MaintenanceJobPlanned of that day).
type EventHandlers struct {
	app application.Application
	log *slog.Logger
}

// NewEventHandlers returns the handlers of app.
func NewEventHandlers(app application.Application, log *slog.Logger) *EventHandlers {
	if log == nil {
		log = slog.Default()
	}
	return &EventHandlers{app: app, log: log}
}

// Handle applies one event through s. An event that can never be applied
// (undecodable, missing ids, bad dates or times, an end before the start) is answered
// with an error wrapping messaging.ErrPermanent, so it is dead-lettered at once with
// its reason; other errors are redelivered. Event types it does not know are
// acknowledged and ignored.
func (h *EventHandlers) Handle(ctx context.Context, s Store, ev events.Envelope) error {
	var err error
	switch ev.Type {
	case customerevents.SubjectCustomerRegistered, customerevents.SubjectCustomerUpdated, customerevents.SubjectCustomerStateTransferred:
		err = h.customer(ctx, s, ev)
	case workshopevents.SubjectMaintenanceJobPlanned:
		err = h.jobPlanned(ctx, s, ev)
	case workshopevents.SubjectMaintenanceJobFinished:
		err = h.jobFinished(ctx, s, ev)
	case workshopevents.SubjectMaintenanceJobCancelled:
		err = h.jobCancelled(ctx, s, ev)
	case workshopevents.SubjectMaintenanceJobMoved:
		err = h.jobMoved(ctx, s, ev)
	case timekeeperevents.SubjectDayHasPassed:
		err = h.dayHasPassed(ctx, s, ev)
	default:
		return nil
	}
	return messaging.Permanent(err, events.ErrMalformed, domain.ErrInvalidCustomer, domain.ErrInvalidJob,
		domain.ErrInvalidDate, domain.ErrInvalidInvoice)
}

func (h *EventHandlers) customer(ctx context.Context, w application.ReadModelWriter, ev events.Envelope) error {
	var c customerevents.Customer
	if err := ev.Decode(&c); err != nil {
		return err
	}
	_, err := h.app.RecordCustomer.Handle(ctx, w, application.RecordCustomer{
		Version: application.SourceVersion{Time: ev.Time, EventID: ev.ID, Seq: ev.Seq},
		Customer: domain.CustomerDetails{CustomerID: c.CustomerID, Name: c.Name, Address: c.Address,
			PostalCode: c.PostalCode, City: c.City}})
	return err
}

func (h *EventHandlers) jobPlanned(ctx context.Context, w application.ReadModelWriter, ev events.Envelope) error {
	var p workshopevents.MaintenanceJobPlanned
	if err := ev.Decode(&p); err != nil {
		return err
	}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	in := domain.JobPlanInput{
		JobID: p.JobID, CustomerID: p.Customer.CustomerID, Description: p.Description,
		LicenseNumber: p.Vehicle.LicenseNumber,
		PlanningDate:  parseDate(verr, domain.FieldPlanningDate, p.PlanningDate),
		Start:         parseTime(verr, domain.FieldStartTime, p.StartTime),
		End:           parseTime(verr, domain.FieldEndTime, p.EndTime),
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	return h.app.RecordJobPlanned.Handle(ctx, w, application.RecordJobPlanned{Plan: in})
}

func (h *EventHandlers) jobFinished(ctx context.Context, w application.ReadModelWriter, ev events.Envelope) error {
	var f workshopevents.MaintenanceJobFinished
	if err := ev.Decode(&f); err != nil {
		return err
	}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	cmd := application.RecordJobFinished{
		JobID:        f.JobID,
		PlanningDate: parseDate(verr, domain.FieldPlanningDate, f.PlanningDate),
		ActualStart:  parseTime(verr, domain.FieldActualStartTime, f.ActualStartTime),
		ActualEnd:    parseTime(verr, domain.FieldActualEndTime, f.ActualEndTime),
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	return h.app.RecordJobFinished.Handle(ctx, w, cmd)
}

func (h *EventHandlers) jobCancelled(ctx context.Context, w application.ReadModelWriter, ev events.Envelope) error {
	var c workshopevents.MaintenanceJobCancelled
	if err := ev.Decode(&c); err != nil {
		return err
	}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	cmd := application.RecordJobCancelled{JobID: c.JobID,
		PlanningDate: parseDate(verr, domain.FieldPlanningDate, c.PlanningDate)}
	if err := verr.OrNil(); err != nil {
		return err
	}
	before, err := h.app.RecordJobCancelled.Handle(ctx, w, cmd)
	if err != nil {
		return err
	}
	switch {
	case before.Invoiced:
		h.log.WarnContext(ctx, "cancel of an invoiced job ignored: the invoice stands", "event_id", ev.ID,
			"job_id", c.JobID, "date", c.PlanningDate)
	case before.Finished:
		h.log.WarnContext(ctx, "cancel of a finished job: it will not be invoiced", "event_id", ev.ID,
			"job_id", c.JobID, "date", c.PlanningDate)
	}
	return nil
}

func (h *EventHandlers) jobMoved(ctx context.Context, w application.ReadModelWriter, ev events.Envelope) error {
	var m workshopevents.MaintenanceJobMoved
	if err := ev.Decode(&m); err != nil {
		return err
	}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	cmd := application.RecordJobMoved{JobID: m.JobID,
		PlanningDate:   parseDate(verr, domain.FieldPlanningDate, m.PlanningDate),
		ToPlanningDate: parseDate(verr, domain.FieldToPlanningDate, m.ToPlanningDate),
	}
	if m.ToPlanningDate == m.PlanningDate {
		// The times matter only to a move within the day; those of a move to another
		// day travel with its new day's MaintenanceJobPlanned.
		cmd.Start = parseTime(verr, domain.FieldStartTime, m.StartTime)
		cmd.End = parseTime(verr, domain.FieldEndTime, m.EndTime)
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	res, err := h.app.RecordJobMoved.Handle(ctx, w, cmd)
	if err != nil {
		return err
	}
	switch b := res.Before; {
	case !b.Known:
		h.log.InfoContext(ctx, "move of an unknown job ignored", "event_id", ev.ID, "job_id", m.JobID,
			"date", m.PlanningDate, "to_date", m.ToPlanningDate)
	case b.Invoiced || (b.Finished && !res.WithinDay):
		h.log.WarnContext(ctx, "move of a finished job ignored: it is billed on its day", "event_id", ev.ID,
			"job_id", m.JobID, "date", m.PlanningDate, "to_date", m.ToPlanningDate)
	}
	return nil
}

func (h *EventHandlers) dayHasPassed(ctx context.Context, book application.InvoiceBook, ev events.Envelope) error {
	var d timekeeperevents.DayHasPassed
	if err := ev.Decode(&d); err != nil {
		return err
	}
	day, err := domain.ParseDate(d.Date)
	if err != nil {
		return err
	}
	res, err := h.app.InvoiceFinishedJobs.Handle(ctx, book, application.InvoiceFinishedJobs{Date: day})
	if err != nil {
		return err
	}
	for _, inv := range res.Invoices {
		h.log.InfoContext(ctx, "invoice created", "event_id", ev.ID, "invoice_id", inv.ID(),
			"invoice_number", inv.Number().String(), "customer_id", inv.Customer().ID(), "jobs", len(inv.Lines()),
			"amount_cents", inv.Total().Cents())
	}
	if res.Waiting > 0 {
		h.log.InfoContext(ctx, "finished jobs wait for their plan or customer", "event_id", ev.ID, "date", day.String(),
			"waiting", res.Waiting)
	}
	return nil
}

func parseDate(verr *domain.ValidationError, field, s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		verr.Add(field, "must be a YYYY-MM-DD date")
	}
	return d
}

func parseTime(verr *domain.ValidationError, field, s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		verr.Add(field, "must be an RFC 3339 time")
	}
	return t
}
