package notifications_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const (
	maxBody = 64 << 10
	// wait bounds every poll for the consumer or the dispatcher to catch up.
	wait = 20 * time.Second
)

// local is the garage's time zone in the tests' job times.
var local = time.FixedZone("CEST", 2*60*60)

// harness is one notifications service (HTTP API, consumer, mail dispatcher) on its
// own fresh database, its own in-process JetStream server and its own SMTP server.
type harness struct {
	t    testing.TB
	pool *pgxpool.Pool
	nc   *nats.Conn
	js   jetstream.JetStream
	smtp *testutil.SMTPServer
	reg  *prometheus.Registry
	srv  *httptest.Server
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	smtp := testutil.StartSMTP(t)
	nc, js := testutil.StartNATS(t).Connect(t)
	if err := messaging.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	pool := testutil.Pool(t, testutil.Database(t), notifications.Schema)
	reg := prometheus.NewRegistry()
	deps := app.Deps{Pool: pool, NC: nc, JS: js, Log: testutil.Logger(t), Registry: reg}
	cfg, err := mail.ParseSMTPURL(smtp.URL())
	if err != nil {
		t.Fatal(err)
	}
	m, err := notifications.NewWithOptions(ctx, deps, notifications.Options{
		Sender: mail.NewSMTPSender(cfg),
		// Short back-off so that a test sees the retry after an outage quickly.
		Dispatcher: mail.DispatcherConfig{PollInterval: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
			MaxBackoff: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler("notifications", deps, maxBody, m))
	t.Cleanup(srv.Close)

	// Registered last, so it runs first: the workers stop before the pool closes and
	// the database is dropped.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, len(m.Workers()))
	for _, w := range m.Workers() {
		go func() { done <- w(wctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range m.Workers() {
			if err := <-done; err != nil {
				t.Errorf("worker: %v", err)
			}
		}
	})
	return &harness{t: t, pool: pool, nc: nc, js: js, smtp: smtp, reg: reg, srv: srv}
}

// publish sends ev to JetStream as a relay would; msgID, when given, replaces the
// Nats-Msg-Id so that a second copy bypasses the stream's duplicate window.
func (h *harness) publish(ev events.Envelope, msgID ...string) events.Envelope {
	h.t.Helper()
	m := ev.Msg()
	if len(msgID) > 0 {
		m.Header.Set(events.HeaderMsgID, msgID[0])
	}
	if _, err := h.js.PublishMsg(context.Background(), m); err != nil {
		h.t.Fatalf("publish %s: %v", m.Subject, err)
	}
	return ev
}

// newEvent wraps p in a fresh envelope at now.
func newEvent(t testing.TB, source string, p events.Payload, now time.Time) events.Envelope {
	t.Helper()
	ev, err := events.New(source, p, now)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// customer is a registered customer as the tests know it.
type customer struct {
	id, name, email string
}

// registerCustomer publishes a CustomerRegistered of a new customer.
func (h *harness) registerCustomer(name, email string) customer {
	h.t.Helper()
	c := customer{id: uuid.NewString(), name: name, email: email}
	h.publish(customerRegistered(h.t, c, time.Now()))
	return c
}

func customerRegistered(t testing.TB, c customer, at time.Time) events.Envelope {
	t.Helper()
	return newEvent(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customerData(c)}, at)
}

func customerUpdated(t testing.TB, c customer, at time.Time) events.Envelope {
	t.Helper()
	return newEvent(t, customerevents.Source, customerevents.CustomerUpdated{Customer: customerData(c)}, at)
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
	return newEvent(t, workshopevents.Source, workshopevents.MaintenanceJobPlanned{
		PlanningDate: j.date, JobID: j.id, StartTime: at(j.startHour), EndTime: at(j.endHour), Description: j.description,
		Customer: workshopevents.JobCustomer{CustomerID: c.id, Name: c.name, TelephoneNumber: "+31 6 12345678"},
		Vehicle:  workshopevents.JobVehicle{LicenseNumber: j.licence, Brand: "Volkswagen", Type: "Golf"},
	}, time.Now())
}

// planJob publishes a MaintenanceJobPlanned of a new job of c on date.
func (h *harness) planJob(c customer, date string, startHour int, description, licence string) job {
	h.t.Helper()
	j := job{id: uuid.NewString(), date: date, description: description, licence: licence,
		startHour: startHour, endHour: startHour + 2}
	h.publish(jobPlanned(h.t, c, j))
	return j
}

// jobFinished is a MaintenanceJobFinished of j.
func jobFinished(t testing.TB, j job) events.Envelope {
	t.Helper()
	return newEvent(t, workshopevents.Source, workshopevents.MaintenanceJobFinished{PlanningDate: j.date, JobID: j.id,
		ActualStartTime: j.date + "T08:00:00+02:00", ActualEndTime: j.date + "T09:00:00+02:00", Notes: "done"}, time.Now())
}

// dayHasPassed is a DayHasPassed of date, with a new event id.
func dayHasPassed(t testing.TB, date string) events.Envelope {
	t.Helper()
	return newEvent(t, timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: date}, time.Now())
}

// beginDay publishes a DayHasPassed of date and waits until it is processed.
func (h *harness) beginDay(date string) events.Envelope {
	h.t.Helper()
	ev := h.publish(dayHasPassed(h.t, date))
	h.waitProcessed(ev)
	return ev
}

// waitProcessed waits until every event is in the consumer's inbox (its effect is
// committed: the inbox row and the effect share the transaction).
func (h *harness) waitProcessed(evs ...events.Envelope) {
	h.t.Helper()
	for _, ev := range evs {
		testutil.Eventually(h.t, wait, func() bool {
			return h.count(`SELECT count(*) FROM inbox WHERE consumer = 'notifications' AND event_id = $1`, ev.ID) == 1
		}, "event %s (%s) was never processed", ev.ID, ev.Type)
	}
}

// barrier publishes an event no test looks at and waits until it is processed: the
// consumer handles messages one at a time in stream order, so every message published
// before it has been handled too.
func (h *harness) barrier() {
	h.t.Helper()
	ev := customerRegistered(h.t, customer{id: "barrier-" + uuid.NewString(), name: "Barrier", email: "barrier@example.com"},
		time.Now())
	h.publish(ev)
	h.waitProcessed(ev)
}

// count runs a counting query on the notifications schema.
func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// queuedMails is the number of mails in the mail outbox, sent or not.
func (h *harness) queuedMails() int { return h.count(`SELECT count(*) FROM mail_outbox`) }

// waitAllSent waits until the dispatcher has sent every queued mail and returns what
// the SMTP server received.
func (h *harness) waitAllSent() []testutil.ReceivedMail {
	h.t.Helper()
	testutil.Eventually(h.t, wait, func() bool {
		return h.count(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`) == 0
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

// metric is the value of a counter (summed over its series).
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue()
			}
		}
	}
	return v
}

// response is a completed HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (h *harness) get(path string) response {
	h.t.Helper()
	res, err := openapitest.Client(h.t, "notifications").Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
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
	h.t.Helper()
	res := h.get("/api/reminders?" + query)
	if res.status != http.StatusOK {
		h.t.Fatalf("GET /api/reminders?%s: %d %s", query, res.status, res.body)
	}
	var l listJSON
	res.json(h.t, &l)
	if l.Items == nil {
		h.t.Fatalf("items is not an array: %s", res.body)
	}
	return l
}

// problemOf checks that res is a problem document with status and returns it.
func problemOf(t testing.TB, res response, status int) problem.Problem {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("content type = %q, want %q", ct, problem.ContentType)
	}
	var p problem.Problem
	res.json(t, &p)
	return p
}

// fieldsOf returns the sorted field names of a problem's errors.
func fieldsOf(p problem.Problem) []string {
	fs := []string{}
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	sort.Strings(fs)
	return fs
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
