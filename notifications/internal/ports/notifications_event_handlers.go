package ports

import (
	"context"
	"log/slog"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// ConsumerName is the durable JetStream consumer (and inbox key) of notifications.
const ConsumerName = "notifications"

// FilterSubjects are the events notifications consumes: customers (contact data),
// planned, finished, cancelled and moved maintenance jobs (what to remind of) and
// DayHasPassed (when).
var FilterSubjects = []string{
	customerevents.SubjectAll,
	workshopevents.SubjectMaintenanceJobPlanned,
	workshopevents.SubjectMaintenanceJobFinished,
	workshopevents.SubjectMaintenanceJobCancelled,
	workshopevents.SubjectMaintenanceJobMoved,
	timekeeperevents.SubjectDayHasPassed,
}

// EventHandlers apply the notifications context's events. Handle receives the store
// bound by messaging.Bind to the consumer's transaction: every effect (read model rows,
// reminders and their queued mails) commits together with the event's inbox row, so a
// redelivered event changes nothing, and the read model is order-tolerant (customers:
// newer event wins; jobs: plan, finish and cancel merge in either order). A move
// relies on the consumer's per-aggregate order (a day's MaintenanceJobMoved comes
// after the job's MaintenanceJobPlanned of that day).
// MaintenanceReminderSent is not published here but by MailSentHandlers, once the
// reminder's mail has been accepted.
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
// (undecodable, missing ids, bad dates or times, an unusable e-mail address) is
// answered with an error wrapping messaging.ErrPermanent, so it is dead-lettered at
// once with its reason; other errors (the database, a concurrent reminder of the same
// job) are redelivered. Event types it does not know are acknowledged and ignored.
func (h *EventHandlers) Handle(ctx context.Context, s application.Store, ev events.Envelope) error {
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
		domain.ErrInvalidDate, domain.ErrInvalidReminder)
}

func (h *EventHandlers) customer(ctx context.Context, s application.Store, ev events.Envelope) error {
	var c customerevents.Customer
	if err := ev.Decode(&c); err != nil {
		return err
	}
	res, err := h.app.RecordCustomer.Handle(ctx, s, application.RecordCustomer{
		Version:  application.SourceVersion{Time: ev.Time, EventID: ev.ID, Seq: ev.Seq},
		Customer: domain.CustomerDetails{CustomerID: c.CustomerID, Name: c.Name, EmailAddress: c.EmailAddress}})
	if err != nil {
		return err
	}
	if !res.Written {
		h.log.DebugContext(ctx, "older customer data ignored", "event_id", ev.ID, "customer_id", c.CustomerID)
	}
	h.logReminded(ctx, ev, res.Reminded)
	return nil
}

func (h *EventHandlers) jobPlanned(ctx context.Context, s application.Store, ev events.Envelope) error {
	var p workshopevents.MaintenanceJobPlanned
	if err := ev.Decode(&p); err != nil {
		return err
	}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	job := domain.JobDetails{
		JobID: p.JobID, CustomerID: p.Customer.CustomerID, Description: p.Description,
		LicenseNumber: p.Vehicle.LicenseNumber,
		PlanningDate:  parseDate(verr, domain.FieldPlanningDate, p.PlanningDate),
		Start:         parseTime(verr, domain.FieldStartTime, p.StartTime),
		End:           parseTime(verr, domain.FieldEndTime, p.EndTime),
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	res, err := h.app.RecordJobPlanned.Handle(ctx, s, application.RecordJobPlanned{Job: job})
	if err != nil {
		return err
	}
	if !res.New {
		h.log.DebugContext(ctx, "plan of a known job ignored", "event_id", ev.ID, "job_id", p.JobID)
	}
	h.logReminded(ctx, ev, res.Reminded)
	return nil
}

func (h *EventHandlers) jobFinished(ctx context.Context, s application.Store, ev events.Envelope) error {
	var f workshopevents.MaintenanceJobFinished
	if err := ev.Decode(&f); err != nil {
		return err
	}
	verr := &domain.ValidationError{Of: domain.ErrInvalidJob}
	cmd := application.RecordJobFinished{JobID: f.JobID,
		PlanningDate: parseDate(verr, domain.FieldPlanningDate, f.PlanningDate)}
	if err := verr.OrNil(); err != nil {
		return err
	}
	return h.app.RecordJobFinished.Handle(ctx, s, cmd)
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
	ch, err := h.app.RecordJobCancelled.Handle(ctx, w, cmd)
	if err != nil {
		return err
	}
	switch {
	case ch.Reminded:
		h.log.InfoContext(ctx, "cancelled job was reminded already; its reminder stays as sent", "event_id", ev.ID,
			"job_id", c.JobID, "date", c.PlanningDate)
	case !ch.Planned:
		h.log.InfoContext(ctx, "cancel of a job whose plan is not known; the plan will find it cancelled",
			"event_id", ev.ID, "job_id", c.JobID, "date", c.PlanningDate)
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
	switch {
	case !res.Planned:
		h.log.InfoContext(ctx, "move of a job whose plan is not known ignored", "event_id", ev.ID, "job_id", m.JobID,
			"date", m.PlanningDate, "to_date", m.ToPlanningDate)
	case res.Reminded:
		h.log.InfoContext(ctx, "moved job was reminded already (with its old day or times); it is not reminded again", "event_id", ev.ID,
			"job_id", m.JobID, "date", m.PlanningDate, "to_date", m.ToPlanningDate)
	}
	return nil
}

func (h *EventHandlers) dayHasPassed(ctx context.Context, s application.Store, ev events.Envelope) error {
	var d timekeeperevents.DayHasPassed
	if err := ev.Decode(&d); err != nil {
		return err
	}
	day, err := domain.ParseDate(d.Date)
	if err != nil {
		return err
	}
	res, err := h.app.StartBusinessDay.Handle(ctx, s, application.StartBusinessDay{Date: day})
	if err != nil {
		return err
	}
	if res.Stale {
		h.log.InfoContext(ctx, "a later business day has begun; no reminders for this one", "event_id", ev.ID,
			"date", day.String())
		return nil
	}
	h.logReminded(ctx, ev, res.Reminded)
	return nil
}

func (h *EventHandlers) logReminded(ctx context.Context, ev events.Envelope, res application.Reminded) {
	for _, r := range res.Reminders {
		h.log.InfoContext(ctx, "maintenance reminder queued", "event_id", ev.ID, "customer_id", r.Customer().ID(),
			"date", r.Date().String(), "jobs", r.JobIDs(), "message_id", r.MessageID())
	}
	if len(res.Waiting) > 0 {
		h.log.InfoContext(ctx, "due jobs wait for their customer's contact data", "event_id", ev.ID,
			"jobs", res.Waiting)
	}
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
