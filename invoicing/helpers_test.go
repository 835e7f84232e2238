package invoicing_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/invoicing"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// wait is how long a test waits for an asynchronous effect.
const wait = 15 * time.Second

// env is one invoicing service over a fresh database, a fresh in-process JetStream and
// an in-process SMTP server: its real HTTP handler on an httptest server and its
// workers (the consumer and the mail dispatcher) running.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	nc   *nats.Conn
	js   jetstream.JetStream
	smtp *testutil.SMTPServer
	srv  *httptest.Server
	reg  *prometheus.Registry
	// stop stops the running instance's workers and HTTP server (as a process exit would).
	stop func()
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), invoicing.Schema)
	ns := testutil.StartNATS(t)
	nc, js := ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, pool: pool, nc: nc, js: js, smtp: testutil.StartSMTP(t)}
	e.start()
	return e
}

// start builds a new service instance on the env's database, NATS and SMTP server and
// runs it until stop (or the end of the test).
func (e *env) start() {
	t := e.t
	t.Helper()
	ctx := context.Background()
	cfg, err := mail.ParseSMTPURL(e.smtp.URL())
	if err != nil {
		t.Fatal(err)
	}
	e.reg = prometheus.NewRegistry()
	d := app.Deps{Pool: e.pool, NC: e.nc, JS: e.js, Log: testutil.Logger(t), Registry: e.reg}
	m, err := invoicing.NewWithOptions(ctx, d, invoicing.Options{Sender: mail.NewSMTPSender(cfg),
		Dispatcher: mail.DispatcherConfig{PollInterval: 100 * time.Millisecond, MinBackoff: 50 * time.Millisecond,
			MaxBackoff: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler("invoicing", d, 64<<10, m))
	e.srv = srv
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, w := range m.Workers() {
		wg.Go(func() {
			if err := w(wctx); err != nil {
				t.Errorf("worker: %v", err)
			}
		})
	}
	var once sync.Once
	e.stop = func() { once.Do(func() { cancel(); wg.Wait(); srv.Close() }) }
	t.Cleanup(e.stop)
}

// publish sends env to JetStream as the relay would; a non-empty msgID replaces its
// Nats-Msg-Id (so that a second copy is not dropped by the duplicate window).
func (e *env) publish(ev events.Envelope, msgID string) {
	e.t.Helper()
	m := ev.Msg()
	if msgID != "" {
		m.Header.Set(events.HeaderMsgID, msgID)
	}
	if _, err := e.js.PublishMsg(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
}

// event wraps p in a fresh envelope stamped at.
func (e *env) event(source string, p events.Payload, at time.Time) events.Envelope {
	e.t.Helper()
	ev, err := events.New(source, p, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

var t0 = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

func customerData(id, name string) customerevents.Customer {
	return customerevents.Customer{CustomerID: id, Name: name, Address: "Kerkstraat 1", PostalCode: "1234 AB",
		City: "Amsterdam", TelephoneNumber: "0612345678", EmailAddress: "customer@example.com"}
}

// registerCustomer publishes CustomerRegistered and returns the envelope.
func (e *env) registerCustomer(id, name string) events.Envelope {
	ev := e.event(customerevents.Source, customerevents.CustomerRegistered{Customer: customerData(id, name)}, t0)
	e.publish(ev, "")
	return ev
}

// clock parses "HH:MM" on day (YYYY-MM-DD) in UTC+01:00, as the workshop would send it.
func clock(t *testing.T, day, hhmm string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, day+"T"+hhmm+":00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	return ts.Format(time.RFC3339)
}

// planJob publishes MaintenanceJobPlanned for jobID of customerID on day, start-end.
func (e *env) planJob(jobID, customerID, day, start, end string) events.Envelope {
	ev := e.event(workshopevents.Source, workshopevents.MaintenanceJobPlanned{PlanningDate: day, JobID: jobID,
		StartTime: clock(e.t, day, start), EndTime: clock(e.t, day, end), Description: "Maintenance " + jobID,
		Customer: workshopevents.JobCustomer{CustomerID: customerID, Name: "whoever", TelephoneNumber: "0612345678"},
		Vehicle:  workshopevents.JobVehicle{LicenseNumber: "AB-123-C", Brand: "Volvo", Type: "V70"}}, t0)
	e.publish(ev, "")
	return ev
}

// finishJob publishes MaintenanceJobFinished for jobID on day, actually start-end.
func (e *env) finishJob(jobID, day, start, end string) events.Envelope {
	ev := e.event(workshopevents.Source, workshopevents.MaintenanceJobFinished{PlanningDate: day, JobID: jobID,
		ActualStartTime: clock(e.t, day, start), ActualEndTime: clock(e.t, day, end), Notes: "done"}, t0)
	e.publish(ev, "")
	return ev
}

// dayHasPassed publishes DayHasPassed{date} and returns the envelope.
func (e *env) dayHasPassed(date string) events.Envelope {
	ev := e.event(timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: date}, t0)
	e.publish(ev, "")
	return ev
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitHandled waits until the consumer committed (or dead-lettered) every event of evs.
func (e *env) waitHandled(evs ...events.Envelope) {
	e.t.Helper()
	ids := make([]string, len(evs))
	for k, ev := range evs {
		ids[k] = ev.ID.String()
	}
	testutil.Eventually(e.t, wait, func() bool {
		return e.count(`SELECT (SELECT count(*) FROM inbox WHERE consumer = 'invoicing' AND event_id::text = ANY($1))
			+ (SELECT count(*) FROM consumer_dead_letter WHERE consumer = 'invoicing' AND event_id = ANY($1))`, ids) == len(ids)
	}, "consumer to handle %d events", len(ids))
}

// metric returns the value of the counter or gauge name with label=value (0 if absent).
func (e *env) metric(name, label, value string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					if m.GetCounter() != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
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

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) get(path string) response {
	e.t.Helper()
	res, err := openapitest.Client(e.t, "invoicing").Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// invoices returns every invoice (following next), only customerID's when not empty.
func (e *env) invoices(customerID string) []invoice {
	e.t.Helper()
	var all []invoice
	path := "/api/invoices?limit=200"
	if customerID != "" {
		path += "&customerId=" + customerID
	}
	for cursor := ""; ; {
		r := e.get(path + cursor)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var p page
		r.decode(e.t, &p)
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		cursor = "&cursor=" + p.Next
	}
}

// invoice returns one invoice by id.
func (e *env) invoice(id string) invoice {
	e.t.Helper()
	r := e.get("/api/invoices/" + id)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET invoice %s: %d %s", id, r.status, r.body)
	}
	var inv invoice
	r.decode(e.t, &inv)
	return inv
}

// mails returns the mails the SMTP server received.
func (e *env) mails() []testutil.ReceivedMail { return e.smtp.Messages() }

// waitMails waits until the SMTP server received n mails and returns them.
func (e *env) waitMails(n int) []testutil.ReceivedMail {
	e.t.Helper()
	testutil.Eventually(e.t, wait, func() bool { return len(e.mails()) >= n }, "%d mails at the SMTP server", n)
	return e.mails()
}

// waitAllSent waits until every invoice reports sentAt.
func (e *env) waitAllSent() []invoice {
	e.t.Helper()
	var invs []invoice
	testutil.Eventually(e.t, wait, func() bool {
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
