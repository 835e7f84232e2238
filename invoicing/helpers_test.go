package invoicing_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// wait is how long a test waits for an asynchronous effect.
const wait = 15 * time.Second

// env is one invoicing service over a fresh database, a fresh in-process JetStream and
// an in-process SMTP server: its real HTTP handler on an httptest server and its
// workers (the consumer and the mail dispatcher) running.
type env struct {
	*servicetest.Service
	t    *testing.T
	smtp *testutil.SMTPServer
}

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, smtp: testutil.StartSMTP(t)}
	e.Service = servicetest.Start(t, e.options(servicetest.Options{JetStream: true}))
	return e
}

// start builds a new service instance on the env's database, NATS and SMTP server and
// runs it until Stop (as a process exit would) or the end of the test.
func (e *env) start() {
	e.t.Helper()
	e.Service = servicetest.Start(e.t, e.options(servicetest.Options{DatabaseURL: e.DatabaseURL, NC: e.NC, JS: e.JS}))
}

// options completes o with the invoicing module, mailing to the env's SMTP server.
func (e *env) options(o servicetest.Options) servicetest.Options {
	e.t.Helper()
	cfg, err := mail.ParseSMTPURL(e.smtp.URL())
	if err != nil {
		e.t.Fatal(err)
	}
	o.Name, o.Schema, o.Workers, o.Wait = "invoicing", invoicing.Schema, true, wait
	o.Build = func(ctx context.Context, d app.Deps) (app.Module, error) {
		return invoicing.NewWithOptions(ctx, d, invoicing.Options{Sender: mail.NewSMTPSender(cfg),
			Dispatcher: mail.DispatcherConfig{PollInterval: 100 * time.Millisecond, MinBackoff: 50 * time.Millisecond,
				MaxBackoff: 500 * time.Millisecond}})
	}
	return o
}

var t0 = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

func customerData(id, name string) customerevents.Customer {
	return customerevents.Customer{CustomerID: id, Name: name, Address: "Kerkstraat 1", PostalCode: "1234 AB",
		City: "Amsterdam", TelephoneNumber: "0612345678", EmailAddress: "customer@example.com"}
}

// registerCustomer publishes CustomerRegistered and returns the envelope.
func (e *env) registerCustomer(id, name string) events.Envelope {
	ev := servicetest.Event(e.T, customerevents.Source, customerevents.CustomerRegistered{Customer: customerData(id, name)}, t0)
	e.Publish(ev)
	return ev
}

// clock parses "HH:MM" on day (YYYY-MM-DD) in UTC+01:00, as the workshop would send it.
func clock(t testing.TB, day, hhmm string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, day+"T"+hhmm+":00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	return ts.Format(time.RFC3339)
}

// planJob publishes MaintenanceJobPlanned for jobID of customerID on day, start-end.
func (e *env) planJob(jobID, customerID, day, start, end string) events.Envelope {
	ev := servicetest.Event(e.T, workshopevents.Source, workshopevents.MaintenanceJobPlanned{PlanningDate: day, JobID: jobID,
		StartTime: clock(e.T, day, start), EndTime: clock(e.T, day, end), Description: "Maintenance " + jobID,
		Customer: workshopevents.JobCustomer{CustomerID: customerID, Name: "whoever", TelephoneNumber: "0612345678"},
		Vehicle:  workshopevents.JobVehicle{LicenseNumber: "AB-123-C", Brand: "Volvo", Type: "V70"}}, t0)
	e.Publish(ev)
	return ev
}

// finishJob publishes MaintenanceJobFinished for jobID on day, actually start-end.
func (e *env) finishJob(jobID, day, start, end string) events.Envelope {
	ev := servicetest.Event(e.T, workshopevents.Source, workshopevents.MaintenanceJobFinished{PlanningDate: day, JobID: jobID,
		ActualStartTime: clock(e.T, day, start), ActualEndTime: clock(e.T, day, end), Notes: "done"}, t0)
	e.Publish(ev)
	return ev
}

// cancelJob publishes MaintenanceJobCancelled for jobID on day.
func (e *env) cancelJob(jobID, day string) events.Envelope {
	ev := servicetest.Event(e.T, workshopevents.Source, workshopevents.MaintenanceJobCancelled{PlanningDate: day,
		JobID: jobID, Reason: "the customer called"}, t0)
	e.Publish(ev)
	return ev
}

// moveJob publishes MaintenanceJobMoved of jobID on day to toDay, start-end there,
// keeping its id (the caller publishes the MaintenanceJobPlanned of a move to another
// day, as the workshop does in the same transaction).
func (e *env) moveJob(jobID, day, toDay, start, end string) events.Envelope {
	ev := servicetest.Event(e.T, workshopevents.Source, workshopevents.MaintenanceJobMoved{PlanningDate: day,
		JobID: jobID, ToPlanningDate: toDay, ToJobID: jobID, StartTime: clock(e.T, toDay, start),
		EndTime: clock(e.T, toDay, end)}, t0)
	e.Publish(ev)
	return ev
}

// dayHasPassed publishes DayHasPassed{date} and returns the envelope.
func (e *env) dayHasPassed(date string) events.Envelope {
	ev := servicetest.Event(e.T, timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: date}, t0)
	e.Publish(ev)
	return ev
}

type money struct {
	Currency string `json:"currency"`
	Cents    int64  `json:"cents"`
}

type line struct {
	JobID           string `json:"jobId"`
	Date            string `json:"date"`
	LicenseNumber   string `json:"licenseNumber"`
	Description     string `json:"description"`
	ActualStartTime string `json:"actualStartTime"`
	ActualEndTime   string `json:"actualEndTime"`
	Hours           string `json:"hours"`
	Amount          money  `json:"amount"`
}

type invoice struct {
	InvoiceID     string   `json:"invoiceId"`
	InvoiceNumber string   `json:"invoiceNumber"`
	InvoiceDate   string   `json:"invoiceDate"`
	DueDate       string   `json:"dueDate"`
	CustomerID    string   `json:"customerId"`
	JobIDs        []string `json:"jobIds"`
	Lines         []line   `json:"lines"`
	Amount        money    `json:"amount"`
	SentAt        *string  `json:"sentAt"`
	Customer      struct {
		Name       string `json:"name"`
		Address    string `json:"address"`
		PostalCode string `json:"postalCode"`
		City       string `json:"city"`
	} `json:"customer"`
}

type page struct {
	Items []invoice `json:"items"`
	Next  string    `json:"next"`
}

// invoices returns every invoice (following next), only customerID's when not empty.
func (e *env) invoices(customerID string) []invoice {
	e.T.Helper()
	var all []invoice
	path := "/api/invoices?limit=200"
	if customerID != "" {
		path += "&customerId=" + customerID
	}
	for cursor := ""; ; {
		r := e.Get(path + cursor)
		if r.Status != http.StatusOK {
			e.T.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		var p page
		r.JSON(e.T, &p)
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		cursor = "&cursor=" + p.Next
	}
}

// invoice returns one invoice by id.
func (e *env) invoice(id string) invoice {
	e.T.Helper()
	r := e.Get("/api/invoices/" + id)
	if r.Status != http.StatusOK {
		e.T.Fatalf("GET invoice %s: %d %s", id, r.Status, r.Body)
	}
	var inv invoice
	r.JSON(e.T, &inv)
	return inv
}

// mails returns the mails the SMTP server received.
func (e *env) mails() []testutil.ReceivedMail { return e.smtp.Messages() }

// waitMails waits until the SMTP server received n mails and returns them.
func (e *env) waitMails(n int) []testutil.ReceivedMail {
	e.T.Helper()
	testutil.Eventually(e.T, wait, func() bool { return len(e.mails()) >= n }, "%d mails at the SMTP server", n)
	return e.mails()
}

// waitAllSent waits until every invoice reports sentAt.
func (e *env) waitAllSent() []invoice {
	e.T.Helper()
	var invs []invoice
	testutil.Eventually(e.T, wait, func() bool {
		invs = e.invoices("")
		for _, inv := range invs {
			if inv.SentAt == nil {
				return false
			}
		}
		return true
	}, "every invoice sent")
	return invs
}

func newID() string { return uuid.NewString() }
