package invoicing_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/invoicingevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// messageID strips the angle brackets a Message-ID header carries.
func messageID(s string) string { return strings.Trim(strings.TrimSpace(s), "<>") }

// outboxEvents returns the InvoiceCreated events in the outbox, in insertion order.
func (e *env) outboxEvents() []invoicingevents.InvoiceCreated {
	e.T.Helper()
	rows, err := e.Pool.Query(context.Background(), `SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id`,
		invoicingevents.SubjectInvoiceCreated)
	if err != nil {
		e.T.Fatal(err)
	}
	defer rows.Close()
	var out []invoicingevents.InvoiceCreated
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			e.T.Fatal(err)
		}
		var ev invoicingevents.InvoiceCreated
		if err := json.Unmarshal(b, &ev); err != nil {
			e.T.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		e.T.Fatal(err)
	}
	return out
}

func TestInvoiceForTwoHours(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	day := e.dayHasPassed("2026-03-03")
	e.WaitHandled(day)

	invs := e.invoices("")
	if len(invs) != 1 {
		t.Fatalf("invoices %+v", invs)
	}
	inv := invs[0]
	if inv.InvoiceNumber != "2026-000001" || inv.InvoiceDate != "2026-03-03" || inv.DueDate != "2026-04-02" ||
		inv.CustomerID != c || !reflect.DeepEqual(inv.JobIDs, []string{j}) || inv.Amount != (money{"EUR", 3700}) {
		t.Errorf("invoice %+v", inv)
	}
	wantLine := line{JobID: j, Date: "2026-03-02", LicenseNumber: "AB-123-C", Description: "Maintenance " + j,
		ActualStartTime: "2026-03-02T07:00:00Z", ActualEndTime: "2026-03-02T09:00:00Z", Hours: "2.00",
		Amount: money{"EUR", 3700}}
	if len(inv.Lines) != 1 || inv.Lines[0] != wantLine {
		t.Errorf("lines %+v, want %+v", inv.Lines, wantLine)
	}
	if inv.Customer.Name != "Lisa Verbeek" || inv.Customer.Address != "Kerkstraat 1" ||
		inv.Customer.PostalCode != "1234 AB" || inv.Customer.City != "Amsterdam" {
		t.Errorf("customer %+v", inv.Customer)
	}

	// The InvoiceCreated event is in the outbox, committed with the invoice.
	want := invoicingevents.InvoiceCreated{InvoiceID: inv.InvoiceID, InvoiceDate: "2026-03-03", CustomerID: c,
		JobIDs: []string{j}, Jobs: []invoicingevents.InvoicedJob{{PlanningDate: "2026-03-02", JobID: j}},
		Amount: invoicingevents.Money{Currency: "EUR", Cents: 3700}}
	if evs := e.outboxEvents(); len(evs) != 1 || !reflect.DeepEqual(evs[0], want) {
		t.Errorf("outbox %+v, want %+v", evs, want)
	}

	// The invoice mail reaches the print company, and the invoice then reports it sent.
	m := e.waitMails(1)[0]
	if m.From != "invoicing@pitstop.example" || !reflect.DeepEqual(m.To, []string{"invoices@prestoprint.example"}) ||
		m.Subject != "Invoice 2026-000001" || messageID(m.MessageID) != "invoice."+inv.InvoiceID+"@pitstop.example" {
		t.Errorf("mail from %q to %v subject %q id %q", m.From, m.To, m.Subject, m.MessageID)
	}
	if m.Text != "" {
		t.Errorf("the invoice mail has a text part: %q", m.Text)
	}
	for _, s := range []string{"Lisa Verbeek", "Kerkstraat 1", "1234 AB Amsterdam", "2026-000001", "2026-03-02",
		"AB-123-C", "Maintenance " + j, "2.00", "€ 37.00", "2026-04-02", "IBAN", "NL91 ABNA 0417 1643 00"} {
		if !strings.Contains(m.HTML, s) {
			t.Errorf("invoice mail lacks %q:\n%s", s, m.HTML)
		}
	}
	sent := e.waitAllSent()
	if sent[0].SentAt == nil || *sent[0].SentAt == "" {
		t.Errorf("sentAt %v", sent[0].SentAt)
	}
	if got := e.invoice(inv.InvoiceID); got.SentAt == nil || got.InvoiceNumber != inv.InvoiceNumber {
		t.Errorf("GET by id %+v", got)
	}
}

func TestTwoJobsOfOneCustomerMakeOneInvoice(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j1, j2 := newID(), newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(j1, c, "2026-03-02", "08:00", "10:00")
	e.planJob(j2, c, "2026-03-02", "13:00", "14:00")
	e.finishJob(j2, "2026-03-02", "13:00", "14:00")
	e.finishJob(j1, "2026-03-02", "08:00", "10:00")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))

	invs := e.invoices("")
	if len(invs) != 1 {
		t.Fatalf("%d invoices: %+v", len(invs), invs)
	}
	inv := invs[0]
	if inv.Amount != (money{"EUR", 5550}) || !reflect.DeepEqual(inv.JobIDs, []string{j1, j2}) || len(inv.Lines) != 2 ||
		inv.Lines[0].Amount.Cents != 3700 || inv.Lines[1].Amount.Cents != 1850 || inv.Lines[1].Hours != "1.00" {
		t.Errorf("invoice %+v", inv)
	}
	body := e.waitMails(1)[0].Body
	for _, s := range []string{"€ 37.00", "€ 18.50", "€ 55.50"} {
		if !strings.Contains(body, s) {
			t.Errorf("mail lacks %q", s)
		}
	}
}

func TestTwoCustomersGetTwoInvoicesWithSequentialNumbers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c1, c2 := newID(), newID()
	if c2 < c1 {
		c1, c2 = c2, c1 // invoices of one day are numbered in customer id order
	}
	jobs := map[string]string{}
	for k, c := range []string{c1, c2} {
		e.registerCustomer(c, "Customer "+string(rune('A'+k)))
		j := newID()
		jobs[c] = j
		e.planJob(j, c, "2026-03-02", "08:00", []string{"10:00", "09:30"}[k])
		e.finishJob(j, "2026-03-02", "08:00", []string{"10:00", "09:30"}[k])
	}
	e.WaitHandled(e.dayHasPassed("2026-03-03"))

	invs := e.invoices("")
	if len(invs) != 2 {
		t.Fatalf("%d invoices: %+v", len(invs), invs)
	}
	for k, want := range []struct {
		number, customer string
		cents            int64
	}{{"2026-000001", c1, 3700}, {"2026-000002", c2, 2775}} {
		inv := invs[k]
		if inv.InvoiceNumber != want.number || inv.CustomerID != want.customer || inv.Amount.Cents != want.cents ||
			!reflect.DeepEqual(inv.JobIDs, []string{jobs[want.customer]}) {
			t.Errorf("invoice %d: %+v, want %+v", k, inv, want)
		}
	}
	// Each customer's filter shows only their invoice.
	if got := e.invoices(c2); len(got) != 1 || got[0].CustomerID != c2 {
		t.Errorf("invoices of %s: %+v", c2, got)
	}
	mails := e.waitMails(2)
	subjects := []string{mails[0].Subject, mails[1].Subject}
	slices.Sort(subjects)
	if !reflect.DeepEqual(subjects, []string{"Invoice 2026-000001", "Invoice 2026-000002"}) {
		t.Errorf("subjects %v", subjects)
	}

	// Numbers continue on later days and restart with the year.
	j3, j4 := newID(), newID()
	e.planJob(j3, c1, "2026-12-30", "08:00", "09:00")
	e.finishJob(j3, "2026-12-30", "08:00", "09:00")
	e.WaitHandled(e.dayHasPassed("2026-12-31"))
	e.planJob(j4, c1, "2026-12-31", "08:00", "09:00")
	e.finishJob(j4, "2026-12-31", "08:00", "09:00")
	e.WaitHandled(e.dayHasPassed("2027-01-01"))
	var numbers []string
	for _, inv := range e.invoices("") {
		numbers = append(numbers, inv.InvoiceNumber)
	}
	if want := []string{"2026-000001", "2026-000002", "2026-000003", "2027-000001"}; !reflect.DeepEqual(numbers, want) {
		t.Errorf("numbers %v, want %v", numbers, want)
	}
}

func TestPlannedButUnfinishedJobIsNotInvoiced(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, done, open := newID(), newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(done, c, "2026-03-02", "08:00", "10:00")
	e.planJob(open, c, "2026-03-02", "10:00", "12:00")
	e.finishJob(done, "2026-03-02", "08:00", "10:00")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))
	if invs := e.invoices(""); len(invs) != 1 || !reflect.DeepEqual(invs[0].JobIDs, []string{done}) {
		t.Fatalf("invoices %+v", invs)
	}

	// Nothing to invoice: no invoice, no number used.
	e.WaitHandled(e.dayHasPassed("2026-03-04"))
	if invs := e.invoices(""); len(invs) != 1 {
		t.Fatalf("a day without finished jobs made an invoice: %+v", invs)
	}

	// Once finished, the open job is invoiced on the next day, on its own invoice.
	e.finishJob(open, "2026-03-02", "10:00", "11:00")
	e.WaitHandled(e.dayHasPassed("2026-03-05"))
	invs := e.invoices("")
	if len(invs) != 2 || invs[1].InvoiceNumber != "2026-000002" || !reflect.DeepEqual(invs[1].JobIDs, []string{open}) ||
		invs[1].Amount.Cents != 1850 || invs[1].InvoiceDate != "2026-03-05" {
		t.Fatalf("invoices %+v", invs)
	}
}

func TestDayHasPassedTwiceInvoicesAndMailsOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	day := e.dayHasPassed("2026-03-03")
	e.WaitHandled(day)
	e.waitAllSent()

	// The same event again (as after a lost ack): the inbox recognises it.
	e.Publish(day, newID())
	testutil.Eventually(t, wait, func() bool {
		return e.Metric("pitstop_consumer_duplicates_total", "consumer", "invoicing") >= 1
	}, "the redelivered DayHasPassed to be recognised")
	// Another DayHasPassed of the same date (a new event): the job is invoiced already.
	again := servicetest.Event(t, day.Source, mustPayload(t, day), t0)
	e.Publish(again, "")
	e.WaitHandled(again)

	if invs := e.invoices(""); len(invs) != 1 {
		t.Fatalf("%d invoices: %+v", len(invs), invs)
	}
	if n := e.QueryInt(`SELECT count(*) FROM outbox WHERE event_type = $1`, invoicingevents.SubjectInvoiceCreated); n != 1 {
		t.Errorf("%d InvoiceCreated events", n)
	}
	// Every invoice is sent and no other mail is queued, so no further mail can come.
	if n := e.QueryInt(`SELECT count(*) FROM invoice_lines WHERE job_id = $1`, j); n != 1 {
		t.Errorf("job billed on %d lines", n)
	}
	if mails := e.mails(); len(mails) != 1 {
		t.Errorf("%d mails", len(mails))
	}
	if n := e.QueryInt(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`); n != 0 {
		t.Errorf("%d mails pending", n)
	}
	if n := e.QueryInt(`SELECT count(*) FROM mail_outbox`); n != 1 {
		t.Errorf("%d mails queued", n)
	}
}

// mustPayload decodes a DayHasPassed envelope's payload to republish it as a new event.
func mustPayload(t *testing.T, ev events.Envelope) events.Payload {
	t.Helper()
	var d struct {
		Date string `json:"date"`
	}
	if err := ev.Decode(&d); err != nil {
		t.Fatal(err)
	}
	return timekeeperevents.DayHasPassed{Date: d.Date}
}

func TestInvoiceMailWaitsForSMTP(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")

	e.smtp.Stop()
	e.WaitHandled(e.dayHasPassed("2026-03-03"))
	// The invoice is committed; its mail fails (and is retried) while SMTP is down.
	testutil.Eventually(t, wait, func() bool {
		return e.Metric("pitstop_mail_failures_total", "mailbox", "invoicing") >= 2
	}, "the invoice mail to fail and be retried while SMTP is down")
	invs := e.invoices("")
	if len(invs) != 1 || invs[0].SentAt != nil {
		t.Fatalf("invoices while SMTP is down: %+v", invs)
	}
	if n := len(e.mails()); n != 0 {
		t.Fatalf("%d mails while SMTP is down", n)
	}
	if r := e.Get("/api/invoices/" + invs[0].InvoiceID); !strings.Contains(string(r.Body), `"sentAt":null`) {
		t.Errorf("a pending invoice mail is not sentAt null: %s", r.Body)
	}

	e.smtp.Start()
	m := e.waitMails(1)[0]
	if m.Subject != "Invoice "+invs[0].InvoiceNumber || messageID(m.MessageID) != "invoice."+invs[0].InvoiceID+"@pitstop.example" {
		t.Errorf("mail %q %q", m.Subject, m.MessageID)
	}
	e.waitAllSent()
}

func TestCustomerDataIsEscapedInTheInvoiceHTML(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	e.registerCustomer(c, "<script>alert(1)</script>")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))

	m := e.waitMails(1)[0]
	if m.HTML == "" || strings.Contains(m.HTML, "<script>") || strings.Contains(m.Body, "<script>") {
		t.Errorf("the customer's name is markup in the invoice:\n%s", m.Body)
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the customer's name is not shown escaped:\n%s", m.HTML)
	}
	// The API returns the data as it is (JSON is not HTML).
	if invs := e.invoices(""); len(invs) != 1 || invs[0].Customer.Name != "<script>alert(1)</script>" {
		t.Errorf("invoices %+v", invs)
	}
}

func TestFinishBeforePlanIsStillInvoiced(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	// The finish arrives first, then a day passes before the plan and the customer are known.
	e.finishJob(j, "2026-03-02", "08:00", "09:30")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))
	if invs := e.invoices(""); len(invs) != 0 {
		t.Fatalf("invoiced without plan: %+v", invs)
	}
	// The plan arrives; the customer is still unknown: the job keeps waiting.
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.WaitHandled(e.dayHasPassed("2026-03-04"))
	if invs := e.invoices(""); len(invs) != 0 {
		t.Fatalf("invoiced without customer: %+v", invs)
	}
	e.registerCustomer(c, "Lisa Verbeek")
	e.WaitHandled(e.dayHasPassed("2026-03-05"))
	invs := e.invoices("")
	if len(invs) != 1 || !reflect.DeepEqual(invs[0].JobIDs, []string{j}) || invs[0].Amount.Cents != 2775 ||
		invs[0].Lines[0].Hours != "1.50" || invs[0].Lines[0].ActualEndTime != "2026-03-02T08:30:00Z" ||
		invs[0].Lines[0].Description != "Maintenance "+j || invs[0].InvoiceDate != "2026-03-05" {
		t.Fatalf("invoices %+v", invs)
	}
}

func TestNewestCustomerDataIsOnTheInvoice(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	newer := customerData(c, "Lisa de Vries")
	newer.Address = "Dorpsstraat 9"
	older := customerData(c, "Lisa Verbeek")
	// The update (later event time) is delivered before the registration.
	e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{Customer: newer}, t0.Add(time.Second)), "")
	e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: older}, t0), "")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))
	invs := e.invoices("")
	if len(invs) != 1 || invs[0].Customer.Name != "Lisa de Vries" || invs[0].Customer.Address != "Dorpsstraat 9" {
		t.Fatalf("invoices %+v", invs)
	}
	if !strings.Contains(e.waitMails(1)[0].Body, "Dorpsstraat 9") {
		t.Error("mail lacks the newest address")
	}
}

func TestUnusableEventsAreDeadLetteredAndDoNotBlock(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j, bad := newID(), newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(bad, c, "2026-03-02", "08:00", "10:00")
	backwards := e.finishJob(bad, "2026-03-02", "10:00", "08:00")
	badDay := e.dayHasPassed("2026-02-30")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))
	e.WaitHandled(backwards, badDay)

	if n := e.QueryInt(`SELECT count(*) FROM consumer_dead_letter WHERE consumer = 'invoicing' AND event_id = ANY($1)`,
		[]string{backwards.ID.String(), badDay.ID.String()}); n != 2 {
		t.Errorf("%d dead letters, want 2", n)
	}
	if invs := e.invoices(""); len(invs) != 1 || !reflect.DeepEqual(invs[0].JobIDs, []string{j}) {
		t.Fatalf("invoices %+v", invs)
	}
}

func TestQueuedInvoiceMailSurvivesARestart(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, j := newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(j, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	e.smtp.Stop()
	e.WaitHandled(e.dayHasPassed("2026-03-03"))
	// The process stops with the invoice committed and its mail not sent.
	e.Stop()
	if n := e.QueryInt(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`); n != 1 {
		t.Fatalf("%d pending mails at shutdown", n)
	}

	// A new process (same database) sends it once SMTP is up, and invoices nothing again.
	e.smtp.Start()
	e.start()
	m := e.waitMails(1)[0]
	invs := e.waitAllSent()
	if len(invs) != 1 || m.Subject != "Invoice "+invs[0].InvoiceNumber {
		t.Fatalf("invoices %+v, mail %q", invs, m.Subject)
	}
	e.WaitHandled(e.dayHasPassed("2026-03-04"))
	if invs := e.invoices(""); len(invs) != 1 || len(e.mails()) != 1 {
		t.Errorf("%d invoices, %d mails after the restart", len(invs), len(e.mails()))
	}
}
