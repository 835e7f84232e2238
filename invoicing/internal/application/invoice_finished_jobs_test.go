package application_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/invoicingevents"
	"github.com/pitstop/pitstop/shared-go/events"
)

// fakeBook is an in-memory InvoiceBook.
type fakeBook struct {
	pending  []application.PendingJob
	waiting  int
	counters map[int]int64
	added    []added
	failAdd  error
}

type added struct {
	inv  domain.Invoice
	mail application.InvoiceMail
	evs  []events.Envelope
}

func (b *fakeBook) PendingJobs(context.Context) ([]application.PendingJob, int, error) {
	return b.pending, b.waiting, nil
}

func (b *fakeBook) NextInvoiceNumber(_ context.Context, year int) (domain.InvoiceNumber, error) {
	if b.counters == nil {
		b.counters = map[int]int64{}
	}
	b.counters[year]++
	return domain.NewInvoiceNumber(year, b.counters[year])
}

func (b *fakeBook) AddInvoice(_ context.Context, inv domain.Invoice, m application.InvoiceMail, evs ...events.Envelope) error {
	if b.failAdd != nil {
		return b.failAdd
	}
	b.added = append(b.added, added{inv: inv, mail: m, evs: evs})
	return nil
}

type fakeRenderer struct{}

func (fakeRenderer) RenderInvoice(inv domain.Invoice) (string, error) {
	return "<p>" + inv.Number().String() + "</p>", nil
}

// jobRefs is the decoded "jobs" of an InvoiceCreated billing ids, all of day.
func jobRefs(day string, ids []string) []any {
	out := make([]any, len(ids))
	for k, id := range ids {
		out[k] = map[string]any{"planningDate": day, "jobId": id}
	}
	return out
}

func pending(t *testing.T, jobID, customerID string, d time.Duration) application.PendingJob {
	t.Helper()
	day, _ := domain.ParseDate("2026-03-02")
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	p, err := domain.NewJobPlan(domain.JobPlanInput{JobID: jobID, PlanningDate: day, CustomerID: customerID,
		Description: "APK", LicenseNumber: "AB-123-C", Start: start, End: start.Add(d)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := domain.NewJobFinish(jobID, day, start, start.Add(d))
	if err != nil {
		t.Fatal(err)
	}
	j, err := domain.NewBillableJob(p, f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: customerID, Name: "Customer " + customerID})
	if err != nil {
		t.Fatal(err)
	}
	return application.PendingJob{Job: j, Customer: c}
}

var now = time.Date(2026, 3, 3, 0, 0, 1, 0, time.UTC)

func TestInvoiceFinishedJobsOneInvoicePerCustomer(t *testing.T) {
	t.Parallel()
	book := &fakeBook{waiting: 2, counters: map[int]int64{2026: 41}, pending: []application.PendingJob{
		pending(t, "j-1", "c-1", 2*time.Hour),
		pending(t, "j-2", "c-1", time.Hour),
		pending(t, "j-3", "c-2", 90*time.Minute),
	}}
	h := application.NewInvoiceFinishedJobsHandler(fakeRenderer{}, func() time.Time { return now })
	day, _ := domain.ParseDate("2026-03-03")
	res, err := h.Handle(context.Background(), book, application.InvoiceFinishedJobs{Date: day})
	if err != nil {
		t.Fatal(err)
	}
	if res.Waiting != 2 || len(res.Invoices) != 2 || len(book.added) != 2 {
		t.Fatalf("result %+v, added %d", res, len(book.added))
	}
	for k, want := range []struct {
		number, customer string
		jobs             []string
		cents            int64
	}{
		{"2026-000042", "c-1", []string{"j-1", "j-2"}, 5550},
		{"2026-000043", "c-2", []string{"j-3"}, 2775},
	} {
		a := book.added[k]
		if a.inv.Number().String() != want.number || a.inv.Customer().ID() != want.customer ||
			!reflect.DeepEqual(a.inv.JobIDs(), want.jobs) || a.inv.Total() != domain.Euros(want.cents) ||
			a.inv.Date() != day || a.inv.DueDate().String() != "2026-04-02" {
			t.Errorf("invoice %d: %s for %s jobs %v total %s date %s due %s", k, a.inv.Number(), a.inv.Customer().ID(),
				a.inv.JobIDs(), a.inv.Total(), a.inv.Date(), a.inv.DueDate())
		}
		wantMail := application.InvoiceMail{ID: "invoice." + a.inv.ID().String() + "@pitstop.example",
			From: "invoicing@pitstop.example", To: []string{"invoices@prestoprint.example"},
			Subject: "Invoice " + want.number, HTML: "<p>" + want.number + "</p>"}
		if !reflect.DeepEqual(a.mail, wantMail) {
			t.Errorf("mail %+v, want %+v", a.mail, wantMail)
		}
		if len(a.evs) != 1 {
			t.Fatalf("events %v", a.evs)
		}
		ev := a.evs[0]
		if ev.Type != invoicingevents.SubjectInvoiceCreated || ev.Source != invoicingevents.Source ||
			ev.Subject != a.inv.ID().String() || !ev.Time.Equal(now) {
			t.Errorf("envelope %+v", ev)
		}
		var body map[string]any
		if err := json.Unmarshal(ev.Data, &body); err != nil {
			t.Fatal(err)
		}
		wantBody := map[string]any{"invoiceId": a.inv.ID().String(), "invoiceDate": "2026-03-03", "customerId": want.customer,
			"jobIds": toAny(want.jobs), "jobs": jobRefs("2026-03-02", want.jobs),
			"amount": map[string]any{"currency": "EUR", "cents": float64(want.cents)}}
		if !reflect.DeepEqual(body, wantBody) {
			t.Errorf("InvoiceCreated %v, want %v", body, wantBody)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for k, s := range ss {
		out[k] = s
	}
	return out
}

func TestInvoiceFinishedJobsNothingToDo(t *testing.T) {
	t.Parallel()
	book := &fakeBook{waiting: 1}
	h := application.NewInvoiceFinishedJobsHandler(fakeRenderer{}, time.Now)
	day, _ := domain.ParseDate("2026-03-03")
	res, err := h.Handle(context.Background(), book, application.InvoiceFinishedJobs{Date: day})
	if err != nil || len(res.Invoices) != 0 || res.Waiting != 1 || len(book.counters) != 0 {
		t.Errorf("result %+v, err %v, counters %v", res, err, book.counters)
	}
}

func TestInvoiceFinishedJobsErrors(t *testing.T) {
	t.Parallel()
	h := application.NewInvoiceFinishedJobsHandler(fakeRenderer{}, time.Now)
	if _, err := h.Handle(context.Background(), &fakeBook{}, application.InvoiceFinishedJobs{}); !errors.Is(err, domain.ErrInvalidDate) {
		t.Errorf("no date: %v", err)
	}
	boom := errors.New("boom")
	book := &fakeBook{failAdd: boom, pending: []application.PendingJob{pending(t, "j-1", "c-1", time.Hour)}}
	day, _ := domain.ParseDate("2026-03-03")
	if _, err := h.Handle(context.Background(), book, application.InvoiceFinishedJobs{Date: day}); !errors.Is(err, boom) {
		t.Errorf("storage failure: %v", err)
	}
}
