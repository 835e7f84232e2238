// Package application holds the notifications context's use cases, one file per
// command and per query. The commands are driven by the JetStream consumer and run
// inside its inbox transaction: keeping the customers and jobs read model
// (RecordCustomer, RecordJobPlanned, RecordJobFinished, RecordJobCancelled,
// RecordJobMoved) and reminding customers of
// their jobs when a business day begins (StartBusinessDay), which queues their mails.
// RecordReminderSent is driven by the mail dispatcher once the mail server accepted a
// mail, inside the transaction that marks the mail sent: only then is
// MaintenanceReminderSent published. The query serves the HTTP API (ListReminders).
package application

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/notifications/internal/domain"
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
	// finish arrived first; it reports whether the plan was new. A job's first plan is
	// kept (a job id is unique within its planning).
	RecordJobPlan(ctx context.Context, j domain.Job) (bool, error)
	// RecordJobFinish marks the job k finished, creating it when its plan has not
	// arrived yet, so that the plan finds it finished.
	RecordJobFinish(ctx context.Context, k domain.JobKey) error
	// RecordJobCancel marks the job k cancelled, creating it when its plan has not
	// arrived yet, so that the plan finds it cancelled: a cancelled job is never
	// reminded. A job reminded already keeps its reminder (the mail has been queued or
	// sent; nothing is sent again).
	RecordJobCancel(ctx context.Context, k domain.JobKey) (JobChange, error)
	// RescheduleJob gives the planned job k the new times start and end (a move within
	// its day), whether or not it has been reminded: a reminder not yet made shows
	// them, one made already is not made again.
	RescheduleJob(ctx context.Context, k domain.JobKey, start, end time.Time) (JobChange, error)
	// ForgetJob removes the job k from its day (it moved to another day, where its new
	// plan is recorded as a job of its own), so that its day's reminder never lists
	// it; a reminder made already keeps it in its history.
	ForgetJob(ctx context.Context, k domain.JobKey) (JobChange, error)
}

// JobChange is what a change to a known job found.
type JobChange struct {
	// Planned is false when the job's plan was not known: nothing was reminded or
	// rescheduled.
	Planned bool
	// Reminded is true when the job had been reminded before the change: its reminder
	// is left as it was, never sent again.
	Reminded bool
}

// DueReminder is one customer's jobs that are due for a reminder on one day.
type DueReminder struct {
	Customer domain.Customer
	// Jobs are the customer's planned, unfinished, not yet reminded jobs of the day.
	Jobs []domain.Job
	// Earlier counts the reminders the customer already got for the day (for jobs that
	// were known earlier); the new reminder is number Earlier+1.
	Earlier int
}

// ReminderBook is the storage of reminders, bound to the consumer's transaction:
// everything it writes commits with the event's inbox row.
type ReminderBook interface {
	// StartDay records that the business day date began and reports whether it is the
	// current business day: no later day has begun (a replayed or reordered
	// DayHasPassed of an older day is not).
	StartDay(ctx context.Context, date domain.Date) (current bool, err error)
	// CurrentDay is the latest business day that began; ok is false before the first.
	CurrentDay(ctx context.Context) (date domain.Date, ok bool, err error)
	// DueReminders locks and returns, per customer in customer id order, the planned,
	// unfinished, not yet reminded jobs of date whose customer is known (only
	// customerID's when it is not empty), and lists the ids of such jobs whose customer
	// is not known yet (waiting).
	DueReminders(ctx context.Context, date domain.Date, customerID string) (due []DueReminder, waiting []string, err error)
	// AddReminder stores r, marks its jobs reminded and queues its mail for sending
	// after commit (its MaintenanceReminderSent event follows when the mail server
	// accepts the mail: see SentReminderBook). A job that is already reminded makes it
	// fail with an error wrapping ErrJobAlreadyReminded.
	AddReminder(ctx context.Context, r domain.Reminder) error
}

// SentReminderBook is what RecordReminderSent needs, bound to the mail dispatcher's
// transaction that marks a mail sent: what it writes commits if and only if the mail
// is recorded as sent.
type SentReminderBook interface {
	// ReminderByMessageID returns the reminder whose e-mail has the Message-ID; ok is
	// false when no reminder has it (the mail is not a reminder).
	ReminderByMessageID(ctx context.Context, messageID string) (r ReminderRecord, ok bool, err error)
	// AddEvent adds ev to the outbox.
	AddEvent(ctx context.Context, ev events.Envelope) error
}

// Store is everything the commands write, bound to one transaction.
type Store interface {
	ReadModelWriter
	ReminderBook
}

// ErrJobAlreadyReminded is returned when a reminder would remind a job a second time.
var ErrJobAlreadyReminded = errors.New("job already reminded")

// ReminderRecord is a reminder as stored, with the delivery state of its mail.
type ReminderRecord struct {
	CustomerID string
	Date       domain.Date
	JobIDs     []string
	MessageID  string
	// CreatedAt is when the reminder was decided (and its mail queued).
	CreatedAt time.Time
	// SentAt is when the mail server accepted the mail; nil while it is pending.
	SentAt *time.Time
	// Position increases with creation order and never changes; it orders lists.
	Position int64
}

// ReminderFilter restricts a list of reminders; zero fields match everything.
type ReminderFilter struct {
	CustomerID string
	Date       domain.Date
}

// ReminderReader is every read the queries need.
type ReminderReader interface {
	// Reminders returns at most n reminders matching f with Position greater than
	// after, in Position order.
	Reminders(ctx context.Context, f ReminderFilter, after int64, n int) ([]ReminderRecord, error)
}

// Application groups the context's use cases; the driving ports call its fields.
type Application struct {
	RecordCustomer     RecordCustomerHandler
	RecordJobPlanned   RecordJobPlannedHandler
	RecordJobFinished  RecordJobFinishedHandler
	RecordJobCancelled RecordJobCancelledHandler
	RecordJobMoved     RecordJobMovedHandler
	StartBusinessDay   StartBusinessDayHandler
	RecordReminderSent RecordReminderSentHandler
	ListReminders      ListRemindersHandler
}

// New builds the use cases; the query reads through reader.
func New(reader ReminderReader) Application {
	r := reminder{}
	return Application{
		RecordCustomer:     RecordCustomerHandler{remind: r},
		RecordJobPlanned:   RecordJobPlannedHandler{remind: r},
		RecordJobFinished:  RecordJobFinishedHandler{},
		RecordJobCancelled: RecordJobCancelledHandler{},
		RecordJobMoved:     RecordJobMovedHandler{},
		StartBusinessDay:   StartBusinessDayHandler{remind: r},
		RecordReminderSent: RecordReminderSentHandler{},
		ListReminders:      NewListRemindersHandler(reader),
	}
}
