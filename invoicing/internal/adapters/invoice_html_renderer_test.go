package adapters_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/adapters"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

func mustInvoice(t *testing.T, name, description string) domain.Invoice {
	t.Helper()
	day, _ := domain.ParseDate("2026-03-02")
	c, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: "c-1", Name: name, Address: "Kerkstraat 1 & 2",
		PostalCode: "1234 AB", City: "Amsterdam"})
	if err != nil {
		t.Fatal(err)
	}
	var jobs []domain.BillableJob
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for k, d := range []time.Duration{2 * time.Hour, 90 * time.Minute} {
		id := []string{"j-1", "j-2"}[k]
		s := start.Add(time.Duration(k) * 3 * time.Hour)
		p, err := domain.NewJobPlan(domain.JobPlanInput{JobID: id, PlanningDate: day, CustomerID: "c-1",
			Description: description, LicenseNumber: "AB-123-C", Start: s, End: s.Add(d)})
		if err != nil {
			t.Fatal(err)
		}
		f, err := domain.NewJobFinish(id, day, s, s.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		j, _ := domain.NewBillableJob(p, f)
		jobs = append(jobs, j)
	}
	n, _ := domain.NewInvoiceNumber(2026, 12)
	inv, err := domain.NewInvoice(uuid.New(), n, day.AddDays(1), c, jobs)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestInvoiceHTMLRendererContent(t *testing.T) {
	t.Parallel()
	html, err := adapters.NewInvoiceHTMLRenderer(adapters.DefaultPaymentDetails).RenderInvoice(mustInvoice(t, "Lisa Verbeek", "APK"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Invoice 2026-000012", "Lisa Verbeek", "Kerkstraat 1 &amp; 2", "1234 AB Amsterdam",
		"<td>2026-03-02</td><td>AB-123-C</td><td>APK</td>", ">2.00<", ">1.50<", "€ 37.00", "€ 27.75",
		"€ 64.75", "Due date</td><td>2026-04-02", "2026-03-03", "NL91 ABNA 0417 1643 00", "Pitstop Garage B.V.",
		"stating reference <strong>2026-000012</strong>", "€ 18.50 per hour",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("invoice HTML lacks %q:\n%s", want, html)
		}
	}
}

func TestInvoiceHTMLRendererEscapes(t *testing.T) {
	t.Parallel()
	html, err := adapters.NewInvoiceHTMLRenderer(adapters.DefaultPaymentDetails).RenderInvoice(
		mustInvoice(t, "<script>alert(1)</script>", `<img src=x onerror="alert(2)">`))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(html, bad) {
			t.Errorf("customer data rendered as markup %q:\n%s", bad, html)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("escaped text %q missing:\n%s", want, html)
		}
	}
}
