package notifications_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// wait bounds every poll for the consumer or the dispatcher to catch up.
const wait = 20 * time.Second

// local is the garage's time zone in the tests' job times.
var local = time.FixedZone("CEST", 2*60*60)

// harness is one notifications service (HTTP API, consumer, mail dispatcher) on its
// own fresh database, its own in-process JetStream server and its own SMTP server.
type harness struct {
	*servicetest.Service
	smtp *testutil.SMTPServer
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	smtp := testutil.StartSMTP(t)
	cfg, err := mail.ParseSMTPURL(smtp.URL())
	if err != nil {
		t.Fatal(err)
	}
	s := servicetest.Start(t, servicetest.Options{Name: "notifications", Schema: notifications.Schema,
		JetStream: true, Workers: true, Wait: wait,
		Build: func(ctx context.Context, d app.Deps) (app.Module, error) {
			return notifications.NewWithOptions(ctx, d, notifications.Options{
				Sender: mail.NewSMTPSender(cfg),
				// Short back-off so that a test sees the retry after an outage quickly.
				Dispatcher: mail.DispatcherConfig{PollInterval: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
					MaxBackoff: 200 * time.Millisecond},
			})
		}})
	return &harness{Service: s, smtp: smtp}
}

// customer is a registered customer as the tests know it.
type customer struct {
	id, name, email string
}

// registerCustomer publishes a CustomerRegistered of a new customer.
func (h *harness) registerCustomer(name, email string) customer {
	h.T.Helper()
	c := customer{id: uuid.NewString(), name: name, email: email}
	h.Publish(customerRegistered(h.T, c, time.Now()))
	return c
}

func customerRegistered(t testing.TB, c customer, at time.Time) events.Envelope {
	t.Helper()
	return servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customerData(c)}, at)
}

func customerUpdated(t testing.TB, c customer, at time.Time) events.Envelope {
	t.Helper()
	return servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{Customer: customerData(c)}, at)
}

func customerData(c customer) customerevents.Customer {
	return customerevents.Customer{CustomerID: c.id, Name: c.name, Address: "Kerkstraat 1", PostalCode: "1234 AB",
		City: "Amsterdam", TelephoneNumber: "+31 6 12345678", EmailAddress: c.email}
}

// job is a planned maintenance job as the tests know it.
type job struct {
	id, date, description, licence string
	startHour, endHour             int
}

// jobPlanned is a MaintenanceJobPlanned of j for c (times in the garage's zone).
func jobPlanned(t testing.TB, c customer, j job) events.Envelope {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", j.date, local)
	if err != nil {
		t.Fatal(err)
	}
	at := func(hour int) string { return d.Add(time.Duration(hour) * time.Hour).Format(time.RFC3339) }
	return servicetest.Event(t, workshopevents.Source, workshopevents.MaintenanceJobPlanned{
		PlanningDate: j.date, JobID: j.id, StartTime: at(j.startHour), EndTime: at(j.endHour), Description: j.description,
		Customer: workshopevents.JobCustomer{CustomerID: c.id, Name: c.name, TelephoneNumber: "+31 6 12345678"},
		Vehicle:  workshopevents.JobVehicle{LicenseNumber: j.licence, Brand: "Volkswagen", Type: "Golf"},
	}, time.Now())
}

// planJob publishes a MaintenanceJobPlanned of a new job of c on date.
func (h *harness) planJob(c customer, date string, startHour int, description, licence string) job {
	h.T.Helper()
	j := job{id: uuid.NewString(), date: date, description: description, licence: licence,
		startHour: startHour, endHour: startHour + 2}
	h.Publish(jobPlanned(h.T, c, j))
	return j
}

// jobFinished is a MaintenanceJobFinished of j.
func jobFinished(t testing.TB, j job) events.Envelope {
	t.Helper()
	return servicetest.Event(t, workshopevents.Source, workshopevents.MaintenanceJobFinished{PlanningDate: j.date, JobID: j.id,
		ActualStartTime: j.date + "T08:00:00+02:00", ActualEndTime: j.date + "T09:00:00+02:00", Notes: "done"}, time.Now())
}

// jobCancelled is a MaintenanceJobCancelled of j.
func jobCancelled(t testing.TB, j job) events.Envelope {
	t.Helper()
	return servicetest.Event(t, workshopevents.Source, workshopevents.MaintenanceJobCancelled{PlanningDate: j.date,
		JobID: j.id, Reason: "the customer called"}, time.Now())
}

// jobMoved is the MaintenanceJobMoved of j to: on j's day with to's times when to.date
// is j.date, else away to to.date as job to.id (whose MaintenanceJobPlanned the
// caller publishes, as the workshop does in the same transaction).
func jobMoved(t testing.TB, j, to job) events.Envelope {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", to.date, local)
	if err != nil {
		t.Fatal(err)
	}
	at := func(hour int) string { return d.Add(time.Duration(hour) * time.Hour).Format(time.RFC3339) }
	return servicetest.Event(t, workshopevents.Source, workshopevents.MaintenanceJobMoved{PlanningDate: j.date,
		JobID: j.id, ToPlanningDate: to.date, ToJobID: to.id, StartTime: at(to.startHour), EndTime: at(to.endHour)},
		time.Now())
}

// moveJob publishes the events of moving c's job j to day date at startHour (for two
// hours): a MaintenanceJobMoved within the day, or a MaintenanceJobMoved on j's day
// and a MaintenanceJobPlanned of the job on date, keeping its id (workshop ids are
// unique per day only). It returns the job as moved.
func (h *harness) moveJob(c customer, j job, date string, startHour int) job {
	h.T.Helper()
	to := j
	to.date, to.startHour, to.endHour = date, startHour, startHour+2
	h.Publish(jobMoved(h.T, j, to))
	if date != j.date {
		h.Publish(jobPlanned(h.T, c, to))
	}
	return to
}

// dayHasPassed is a DayHasPassed of date, with a new event id.
func dayHasPassed(t testing.TB, date string) events.Envelope {
	t.Helper()
	return servicetest.Event(t, timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: date}, time.Now())
}

// beginDay publishes a DayHasPassed of date and waits until it is processed.
func (h *harness) beginDay(date string) events.Envelope {
	h.T.Helper()
	ev := h.Publish(dayHasPassed(h.T, date))
	h.WaitProcessed(ev)
	return ev
}

// barrier publishes an event no test looks at and waits until it is processed: the
// consumer handles messages one at a time in stream order, so every message published
// before it has been handled too.
func (h *harness) barrier() {
	h.T.Helper()
	ev := customerRegistered(h.T, customer{id: "barrier-" + uuid.NewString(), name: "Barrier", email: "barrier@example.com"},
		time.Now())
	h.Publish(ev)
	h.WaitProcessed(ev)
}

// queuedMails is the number of mails in the mail outbox, sent or not.
func (h *harness) queuedMails() int { return h.QueryInt(`SELECT count(*) FROM mail_outbox`) }

// waitAllSent waits until the dispatcher has sent every queued mail and returns what
// the SMTP server received.
func (h *harness) waitAllSent() []testutil.ReceivedMail {
	h.T.Helper()
	testutil.Eventually(h.T, wait, func() bool {
		return h.QueryInt(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`) == 0
	}, "queued mails were never sent")
	return h.smtp.Messages()
}

// mailsTo returns the received mails addressed to email.
func mailsTo(ms []testutil.ReceivedMail, email string) []testutil.ReceivedMail {
	var out []testutil.ReceivedMail
	for _, m := range ms {
		for _, to := range m.To {
			if to == email {
				out = append(out, m)
			}
		}
	}
	return out
}

// reminderJSON is the API's reminder representation.
type reminderJSON struct {
	CustomerID string   `json:"customerId"`
	Date       string   `json:"date"`
	JobIDs     []string `json:"jobIds"`
	MessageID  string   `json:"messageId"`
	CreatedAt  string   `json:"createdAt"`
	SentAt     *string  `json:"sentAt"`
}

type listJSON struct {
	Items []reminderJSON `json:"items"`
	Next  *string        `json:"next"`
}

// reminders GETs /api/reminders?query and requires a 200 with an items array.
func (h *harness) reminders(query string) listJSON {
	h.T.Helper()
	res := h.Get("/api/reminders?" + query)
	if res.Status != http.StatusOK {
		h.T.Fatalf("GET /api/reminders?%s: %d %s", query, res.Status, res.Body)
	}
	var l listJSON
	res.JSON(h.T, &l)
	if l.Items == nil {
		h.T.Fatalf("items is not an array: %s", res.Body)
	}
	return l
}

// sortedCopy returns a sorted copy of ss.
func sortedCopy(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}

// describe summarises received mails for failure messages.
func describe(ms []testutil.ReceivedMail) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  to %v id %s subject %q", m.To, m.MessageID, m.Subject)
	}
	return b.String()
}
