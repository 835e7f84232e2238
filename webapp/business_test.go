package webapp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const tomorrow = "2030-05-07"

func TestBusinessDayPageShowsTheDayAndWhatStartingTheNextDoes(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	p := e.get("/business-day")
	p.expect(t, http.StatusOK, `<a href="/business-day" aria-current="page">Business day</a>`,
		"Monday 6 May 2030", "2030-05-06 00:00", "Europe/Amsterdam",
		`<form method="post" action="/business-day"`, "Start the next business day",
		"Tuesday 7 May 2030", `href="/workshop/`+tomorrow+`"`,
		"every customer with maintenance jobs planned on that day and not yet",
		"every finished job that was not invoiced yet is invoiced")
	if got := p.hidden("current"); got != today {
		t.Fatalf("the form expects the day %q, want %q", got, today)
	}
	p.lacks(t, "has started.")
}

func TestStartNextBusinessDay(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	p := e.post("/business-day", url.Values{"current": {e.get("/business-day").hidden("current")}})
	if p.status != http.StatusSeeOther || p.location != "/business-day?started="+tomorrow {
		t.Fatalf("start: %d %q %s", p.status, p.location, p.body)
	}
	if d, _ := e.api.BusinessDay(); d.Date != tomorrow {
		t.Fatalf("business day %q, want %s", d.Date, tomorrow)
	}
	after := e.get(p.location)
	after.expect(t, http.StatusOK, "Business day Tuesday 7 May 2030 has started.", `href="/reminders"`, `href="/invoices"`,
		"Wednesday 8 May 2030")
	if got := after.hidden("current"); got != tomorrow {
		t.Fatalf("the form now expects %q, want %s", got, tomorrow)
	}
	// A made-up "started" parameter shows no message.
	e.get("/business-day?started=<b>soon</b>").lacks(t, "has started.")
}

func TestDoubleSubmittedStartDayFormStartsOneDay(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	form := url.Values{"current": {e.get("/business-day").hidden("current")}}
	if p := e.post("/business-day", form); p.status != http.StatusSeeOther {
		t.Fatalf("first submit: %d %s", p.status, p.body)
	}
	p := e.post("/business-day", form)
	p.expect(t, http.StatusConflict, "Nothing was started: the business day has already moved on to Tuesday 7 May 2030")
	if d, _ := e.api.BusinessDay(); d.Date != tomorrow || e.api.Count("POST /api/time/days") != 1 {
		t.Fatalf("business day %s after %d starts, want %s after 1", d.Date, e.api.Count("POST /api/time/days"), tomorrow)
	}
	// The refusal shows the day as it is now; clicking again on purpose starts the next.
	if got := p.hidden("current"); got != tomorrow {
		t.Fatalf("the refusal's form expects %q, want %s", got, tomorrow)
	}
	if p := e.post("/business-day", url.Values{"current": {p.hidden("current")}}); p.location != "/business-day?started=2030-05-08" {
		t.Fatalf("deliberate second start: %d %q", p.status, p.location)
	}
}

func TestConcurrentSubmitsOfOneStartDayFormStartOneDay(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	body := url.Values{"current": {today}}.Encode()
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/business-day", strings.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			e.authorize(req)
			if resp, err := noRedirect.Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusSeeOther] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v: want one 303 and %d 409", statuses, n-1)
	}
	if d, _ := e.api.BusinessDay(); d.Date != tomorrow || e.api.Count("POST /api/time/days") != 1 {
		t.Fatalf("business day %s after %d starts", d.Date, e.api.Count("POST /api/time/days"))
	}
}

func TestStartDayRefusedWhenTheDayMovedOnElsewhere(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	form := url.Values{"current": {e.get("/business-day").hidden("current")}}
	e.api.SetBusinessDay(tomorrow) // midnight passed while the page was open
	e.post("/business-day", form).expect(t, http.StatusConflict, "already moved on to Tuesday 7 May 2030",
		"Today's business day is", "Tuesday 7 May 2030")
	if n := e.api.Count("POST /api/time/days"); n != 0 {
		t.Fatalf("%d days started", n)
	}
}

func TestStartTheFirstBusinessDay(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	p := e.get("/business-day")
	p.expect(t, http.StatusOK, "No business day has started yet.", "Start the next business day")
	if p.hidden("current") != "" {
		t.Fatalf("form expects %q before the first day", p.hidden("current"))
	}
	p = e.post("/business-day", url.Values{"current": {""}})
	d, ok := e.api.BusinessDay()
	if p.status != http.StatusSeeOther || !ok || p.location != "/business-day?started="+d.Date {
		t.Fatalf("first day: %d %q, day %+v", p.status, p.location, d)
	}
	// The same form again: a day has started since, so nothing more.
	e.post("/business-day", url.Values{"current": {""}}).expect(t, http.StatusConflict, "already moved on")
	if n := e.api.Count("POST /api/time/days"); n != 1 {
		t.Fatalf("%d days started", n)
	}
}

func TestStartDayFormWithoutAValidDay(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	p := e.post("/business-day", url.Values{"current": {"yesterday"}})
	p.expect(t, http.StatusBadRequest, "The form was incomplete; nothing was started.", "Monday 6 May 2030")
	if p.hidden("current") != today || e.api.Count("POST /api/time/days") != 0 {
		t.Fatalf("form expects %q after %d starts", p.hidden("current"), e.api.Count("POST /api/time/days"))
	}
}

func TestStartDayRefusesCrossSitePosts(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/business-day", strings.NewReader("current="+today))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	e.do(req).expect(t, http.StatusForbidden, "sent from another site")
	if n := e.api.Count("POST /api/time/days"); n != 0 {
		t.Fatalf("a cross-site post started %d days", n)
	}
}

func TestBusinessDayWhileTimekeeperIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Timekeeper)
	p := e.get("/business-day")
	p.expect(t, http.StatusServiceUnavailable, "The timekeeper service is offline, try again soon.")
	if p.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	p = e.post("/business-day", url.Values{"current": {today}})
	p.expect(t, http.StatusServiceUnavailable, "The timekeeper service is offline, try again soon. No day was started.",
		"Start the next business day")
	if p.hidden("current") != today {
		t.Fatalf("the form lost its day: %q", p.hidden("current"))
	}
	// The other modules keep working.
	e.get("/customers").expect(t, http.StatusOK)
	e.get("/invoices").expect(t, http.StatusOK)
}

// Test data of the reminders and invoices.
var (
	sentAt  = "2030-05-06T22:00:05Z" // 00:00 in the garage, the next day
	reminde = apiclient.Reminder{CustomerID: jane.CustomerID, Date: tomorrow, JobIDs: []string{"j1", "j2"},
		MessageID: "<reminder.jane.2030-05-07@pitstop.example>", CreatedAt: "2030-05-06T22:00:01Z", SentAt: &sentAt}
	invoice = apiclient.Invoice{InvoiceID: "8c7e0d8a-5b0e-4a53-9d2e-6f1a2b3c4d5e", InvoiceNumber: "2030-000001",
		InvoiceDate: tomorrow, DueDate: "2030-06-06", CustomerID: jane.CustomerID,
		Customer: apiclient.InvoiceCustomer{Name: jane.Name, Address: jane.Address, PostalCode: jane.PostalCode, City: jane.City},
		JobIDs:   []string{"j1", "j2"},
		Lines: []apiclient.InvoiceLine{
			{JobID: "j1", Date: today, LicenseNumber: "AB-123-C", Description: "Oil change",
				ActualStartTime: "2030-05-06T06:00:00Z", ActualEndTime: "2030-05-06T08:00:00Z", Hours: "2.00",
				Amount: apiclient.Money{Currency: "EUR", Cents: 3700}},
			{JobID: "j2", Date: today, LicenseNumber: "AB-123-C", Description: "Check <brakes>",
				ActualStartTime: "2030-05-06T09:00:00Z", ActualEndTime: "2030-05-06T10:00:00Z", Hours: "1.00",
				Amount: apiclient.Money{Currency: "EUR", Cents: 1850}},
		},
		Amount: apiclient.Money{Currency: "EUR", Cents: 5550}}
)

func TestRemindersList(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.get("/reminders").expect(t, http.StatusOK, "No reminders yet.", `href="/business-day"`)
	e.api.AddCustomer(jane)
	e.api.AddReminder(reminde)
	stranger := "99999999-0000-0000-0000-000000000000"
	e.api.AddReminder(apiclient.Reminder{CustomerID: stranger, Date: tomorrow, JobIDs: []string{"j3"},
		MessageID: "<reminder.x@pitstop.example>", CreatedAt: "2030-05-06T22:00:02Z"})
	p := e.get("/reminders")
	p.expect(t, http.StatusOK, `<a href="/reminders" aria-current="page">Reminders</a>`,
		`<a href="/customers/`+jane.CustomerID+`">Jane Doe</a>`, `<a href="/workshop/`+tomorrow+`">Tuesday 7 May 2030</a>`,
		"2 jobs", "2030-05-07 00:00", "Sent", "at 2030-05-07 00:00",
		`<a href="/customers/`+stranger+`">`+stranger+`</a>`, "1 job<", "Pending")
	p.lacks(t, "customers service is offline", "Next page")
	if i, j := strings.Index(p.body, "Jane Doe"), strings.Index(p.body, stranger+"</a>"); i > j {
		t.Fatal("reminders not in the API's order")
	}
}

func TestRemindersPagingAndCustomerFilter(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	for i := range 30 {
		r := reminde
		r.Date = fmt.Sprintf("2030-06-%02d", i+1)
		if i%2 == 1 {
			r.CustomerID = "99999999-0000-0000-0000-000000000000"
		}
		e.api.AddReminder(r)
	}
	p := e.get("/reminders")
	p.expect(t, http.StatusOK, "Saturday 1 June 2030", `href="/reminders?cursor=25" rel="next"`)
	p.lacks(t, "First page", "2030-06-26")
	p = e.get("/reminders?cursor=25")
	p.expect(t, http.StatusOK, "2030-06-30", `href="/reminders">First page`)
	p.lacks(t, "Next page", "2030-06-01")

	p = e.get("/reminders?customerId=" + jane.CustomerID)
	p.expect(t, http.StatusOK, "Only <a href=\"/customers/"+jane.CustomerID+"\">Jane Doe</a>", "2030-06-29")
	p.lacks(t, "2030-06-02", "Next page")
	// A cursor the API rejects starts over; the filter stays.
	p = e.get("/reminders?customerId=" + jane.CustomerID + "&cursor=bogus")
	if p.status != http.StatusSeeOther || p.location != "/reminders?customerId="+jane.CustomerID {
		t.Fatalf("bad cursor: %d %q", p.status, p.location)
	}
}

func TestRemindersWhileCustomersIsDownShowIDs(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Customers)
	e.api.AddReminder(reminde)
	e.get("/reminders").expect(t, http.StatusOK, "The customers service is offline, so customers are shown by their ids",
		`<a href="/customers/`+jane.CustomerID+`">`+jane.CustomerID+`</a>`, "2 jobs")
}

func TestRemindersWhileNotificationsIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Notifications)
	p := e.get("/reminders")
	p.expect(t, http.StatusServiceUnavailable, "The notifications service is offline, try again soon.")
	if p.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	e.get("/workshop/"+today).expect(t, http.StatusOK)
}

func TestInvoicesList(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.get("/invoices").expect(t, http.StatusOK, "No invoices yet.")
	e.api.AddInvoice(invoice)
	sent := invoice
	sent.InvoiceID, sent.InvoiceNumber, sent.SentAt = "0b5f8e8e-0000-4000-8000-000000000002", "2030-000002", &sentAt
	sent.Amount = apiclient.Money{Currency: "EUR", Cents: 123456}
	e.api.AddInvoice(sent)
	p := e.get("/invoices")
	p.expect(t, http.StatusOK, `<a href="/invoices" aria-current="page">Invoices</a>`,
		`<a href="/invoices/`+invoice.InvoiceID+`">2030-000001</a>`, `<a href="/customers/`+jane.CustomerID+`">Jane Doe</a>`,
		"€ 55.50", "2030-06-06", "Pending", `<a href="/invoices/`+sent.InvoiceID+`">2030-000002</a>`, "€ 1,234.56", "Sent")
	p = e.get("/invoices?customerId=" + jane.CustomerID)
	p.expect(t, http.StatusOK, "Only <a href=\"/customers/"+jane.CustomerID+"\">Jane Doe</a>", "2030-000001")
	p = e.get("/invoices?customerId=someone-else")
	p.expect(t, http.StatusOK, "No invoices yet.", "Only")
}

func TestInvoicesPaging(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	for i := range 26 {
		inv := invoice
		inv.InvoiceID, inv.InvoiceNumber = fmt.Sprintf("inv-%02d", i), fmt.Sprintf("2030-%06d", i+1)
		e.api.AddInvoice(inv)
	}
	p := e.get("/invoices")
	p.expect(t, http.StatusOK, "2030-000025", `href="/invoices?cursor=25" rel="next"`)
	p.lacks(t, "2030-000026")
	e.get("/invoices?cursor=25").expect(t, http.StatusOK, "2030-000026", "First page")
	if p := e.get("/invoices?cursor=99"); p.status != http.StatusSeeOther || p.location != "/invoices" {
		t.Fatalf("bad cursor: %d %q", p.status, p.location)
	}
}

func TestInvoiceDetails(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddInvoice(invoice)
	p := e.get("/invoices/" + invoice.InvoiceID)
	p.expect(t, http.StatusOK, "Invoice 2030-000001", "Pending", "the mail to the print company has not gone out yet",
		"Jane Doe", "Main Street 1", "1234 AB Utrecht", "2030-05-07", `<dd id="due-date">2030-06-06</dd>`,
		`<a href="/workshop/`+today+`/jobs/j1">`+today+`</a>`, `<a href="/vehicles/AB-123-C">AB-123-C</a>`,
		"Oil change", "08:00–10:00", "2.00", "€ 37.00",
		"Check <brakes>", "11:00–12:00", "1.00", "€ 18.50",
		`<th class="num" id="lines-total">€ 55.50</th>`)
	if !strings.Contains(p.body, "Check &lt;brakes&gt;") {
		t.Fatal("a description is not escaped")
	}
	e.get("/invoices/00000000-0000-0000-0000-000000000000").expect(t, http.StatusNotFound, "Invoice not found")

	sent := invoice
	sent.InvoiceID, sent.SentAt = "0b5f8e8e-0000-4000-8000-000000000002", &sentAt
	e.api.AddInvoice(sent)
	e.get("/invoices/"+sent.InvoiceID).expect(t, http.StatusOK, "sent to the print company at 2030-05-07 00:00")
}

func TestInvoicePagesWhileInvoicingIsDown(t *testing.T) {
	t.Parallel()
	e := start(t, nil, webapp.Invoicing)
	for _, path := range []string{"/invoices", "/invoices/" + invoice.InvoiceID} {
		p := e.get(path)
		p.expect(t, http.StatusServiceUnavailable, "The invoicing service is offline, try again soon.")
		if p.header.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", path)
		}
	}
	e.get("/reminders").expect(t, http.StatusOK)
}

func TestCustomerPageLinksToTheirInvoicesAndReminders(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.get("/customers/"+jane.CustomerID).expect(t, http.StatusOK,
		`href="/invoices?customerId=`+jane.CustomerID+`"`, `href="/reminders?customerId=`+jane.CustomerID+`"`)
}

// Two web app instances (separate processes, separate locks) submitting the same form
// at once still start one day: the timekeeper re-checks the expected day (?after=).
func TestConcurrentSubmitsThroughTwoInstancesStartOneDay(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.SetBusinessDay(today)
	// The second instance shares the first's database and key: one session is valid at both.
	second, err := webapp.New(context.Background(), webapp.Options{
		Upstreams: map[string][]string{webapp.Timekeeper: {e.api.TimekeeperURL}, webapp.Customers: {e.api.CustomersURL}},
		Log:       testutil.Logger(t), Registry: prometheus.NewRegistry(), Location: garage,
		Now: func() time.Time { return now }, Pool: e.pool, SigningKey: e.key, Identity: fastHashing,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(second.Handler(64 << 10))
	t.Cleanup(srv2.Close)
	body := url.Values{"current": {today}}.Encode()
	const n = 8
	statuses := make([]int, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		base := e.srv.URL
		if i%2 == 1 {
			base = srv2.URL
		}
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, base+"/business-day", strings.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			e.authorize(req)
			if resp, err := noRedirect.Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusSeeOther] != 1 || count[http.StatusConflict] != 2*n-1 {
		t.Fatalf("statuses %v: want one 303 and %d 409", statuses, 2*n-1)
	}
	if d, _ := e.api.BusinessDay(); d.Date != tomorrow {
		t.Fatalf("business day %s, want %s: one day started", d.Date, tomorrow)
	}
}
