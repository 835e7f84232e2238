package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

func date(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func customer(t *testing.T, id string) domain.Customer {
	t.Helper()
	c, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: id, Name: "Lisa Verbeek", Address: "Kerkstraat 1",
		PostalCode: "1234 AB", City: "Amsterdam"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// job is a billable job of customerID on day, worked from start (HH:MM) for d.
func job(t *testing.T, id, customerID, day, start string, d time.Duration) domain.BillableJob {
	t.Helper()
	pd := date(t, day)
	s, err := time.Parse("2006-01-02 15:04", day+" "+start)
	if err != nil {
		t.Fatal(err)
	}
	p, err := domain.NewJobPlan(domain.JobPlanInput{JobID: id, PlanningDate: pd, CustomerID: customerID,
		Description: "APK " + id, LicenseNumber: "AB-123-C", Start: s, End: s.Add(d)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := domain.NewJobFinish(id, pd, s, s.Add(d))
	if err != nil {
		t.Fatal(err)
	}
	j, err := domain.NewBillableJob(p, f)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func number(t *testing.T, year int, seq int64) domain.InvoiceNumber {
	t.Helper()
	n, err := domain.NewInvoiceNumber(year, seq)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewInvoiceTotals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		durations []time.Duration
		total     int64
	}{
		{"2 h", []time.Duration{2 * time.Hour}, 3700},
		{"2 h + 1 h", []time.Duration{2 * time.Hour, time.Hour}, 5550},
		{"1 h 30 min", []time.Duration{90 * time.Minute}, 2775},
		{"45 min", []time.Duration{45 * time.Minute}, 1388},
		// Rounded per line: 1388 + 1388, not round(2 × 1387.5) = 2775.
		{"45 min twice", []time.Duration{45 * time.Minute, 45 * time.Minute}, 2776},
		{"zero-length job", []time.Duration{0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var jobs []domain.BillableJob
			for k, d := range tc.durations {
				jobs = append(jobs, job(t, uuid.NewString(), "c-1", "2026-03-02", []string{"08:00", "11:00", "14:00"}[k], d))
			}
			inv, err := domain.NewInvoice(uuid.New(), number(t, 2026, 1), date(t, "2026-03-03"), customer(t, "c-1"), jobs)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Total() != domain.Euros(tc.total) {
				t.Errorf("total %s, want %d cents", inv.Total(), tc.total)
			}
			var sum int64
			for _, l := range inv.Lines() {
				sum += l.Amount().Cents()
			}
			if sum != inv.Total().Cents() {
				t.Errorf("lines add up to %d, total %d", sum, inv.Total().Cents())
			}
		})
	}
}

func TestNewInvoiceOrdersLinesAndSetsDueDate(t *testing.T) {
	t.Parallel()
	jobs := []domain.BillableJob{
		job(t, "j-c", "c-1", "2026-03-02", "13:00", time.Hour),
		job(t, "j-b", "c-1", "2026-03-01", "09:00", time.Hour),
		job(t, "j-a", "c-1", "2026-03-02", "08:00", 2*time.Hour),
		job(t, "j-0", "c-1", "2026-03-02", "08:00", 30*time.Minute),
	}
	id := uuid.New()
	inv, err := domain.NewInvoice(id, number(t, 2026, 7), date(t, "2026-03-03"), customer(t, "c-1"), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inv.JobIDs(), []string{"j-b", "j-0", "j-a", "j-c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("line order %v, want %v", got, want)
	}
	if inv.ID() != id || inv.Number().String() != "2026-000007" || inv.Date().String() != "2026-03-03" ||
		inv.DueDate().String() != "2026-04-02" || inv.Customer().ID() != "c-1" {
		t.Errorf("invoice %v %s %s due %s for %s", inv.ID(), inv.Number(), inv.Date(), inv.DueDate(), inv.Customer().ID())
	}
	l := inv.Lines()[2]
	if l.JobID() != "j-a" || l.Hours() != "2.00" || l.Amount() != domain.Euros(3700) || l.Date().String() != "2026-03-02" ||
		l.LicenseNumber() != "AB-123-C" || l.Description() != "APK j-a" || l.Duration() != 2*time.Hour {
		t.Errorf("line %+v", l.Details())
	}
	// Lines returns a copy.
	inv.Lines()[0] = domain.InvoiceLine{}
	if inv.Lines()[0].JobID() != "j-b" {
		t.Error("Lines exposes the invoice's slice")
	}
	back := domain.RehydrateInvoice(inv.ID(), inv.Number(), inv.Date(), inv.DueDate(), inv.Customer(), inv.Lines())
	if !reflect.DeepEqual(back, inv) {
		t.Errorf("rehydrated %+v, want %+v", back, inv)
	}
}

func TestNewInvoiceRejects(t *testing.T) {
	t.Parallel()
	c1 := customer(t, "c-1")
	j1 := job(t, "j-1", "c-1", "2026-03-02", "08:00", time.Hour)
	j2 := job(t, "j-2", "c-2", "2026-03-02", "08:00", time.Hour)
	day := date(t, "2026-03-03")
	for _, tc := range []struct {
		name     string
		id       uuid.UUID
		number   domain.InvoiceNumber
		date     domain.Date
		customer domain.Customer
		jobs     []domain.BillableJob
	}{
		{"nil id", uuid.Nil, number(t, 2026, 1), day, c1, []domain.BillableJob{j1}},
		{"no number", uuid.New(), domain.InvoiceNumber{}, day, c1, []domain.BillableJob{j1}},
		{"number of another year", uuid.New(), number(t, 2025, 1), day, c1, []domain.BillableJob{j1}},
		{"no date", uuid.New(), number(t, 2026, 1), domain.Date{}, c1, []domain.BillableJob{j1}},
		{"no customer", uuid.New(), number(t, 2026, 1), day, domain.Customer{}, []domain.BillableJob{j1}},
		{"no jobs", uuid.New(), number(t, 2026, 1), day, c1, nil},
		{"another customer's job", uuid.New(), number(t, 2026, 1), day, c1, []domain.BillableJob{j1, j2}},
		{"a job twice", uuid.New(), number(t, 2026, 1), day, c1, []domain.BillableJob{j1, j1}},
	} {
		if _, err := domain.NewInvoice(tc.id, tc.number, tc.date, tc.customer, tc.jobs); !errors.Is(err, domain.ErrInvalidInvoice) {
			t.Errorf("%s: error %v, want ErrInvalidInvoice", tc.name, err)
		}
	}
}

func fields(t *testing.T, err error, of error) []string {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) || !errors.Is(err, of) {
		t.Fatalf("error %v is not a *ValidationError of %v", err, of)
	}
	var out []string
	for _, f := range verr.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestJobValidation(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	pd := domain.DateOf(at)
	for _, tc := range []struct {
		name   string
		id     string
		date   domain.Date
		s, e   time.Time
		fields []string
	}{
		{"end before start", "j", pd, at, at.Add(-time.Minute), []string{"actualEndTime"}},
		{"empty id", " ", pd, at, at.Add(time.Hour), []string{"jobId"}},
		{"no times", "j", pd, time.Time{}, time.Time{}, []string{"actualStartTime", "actualEndTime"}},
		{"no date", "j", domain.Date{}, at, at, []string{"planningDate"}},
		{"NUL in id", "j\x00", pd, at, at, []string{"jobId"}},
		{"too long to bill", "j", pd, at, at.Add(400 * 24 * time.Hour), []string{"actualEndTime"}},
	} {
		_, err := domain.NewJobFinish(tc.id, tc.date, tc.s, tc.e)
		if got := fields(t, err, domain.ErrInvalidJob); !reflect.DeepEqual(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
		}
	}
	f, err := domain.NewJobFinish("j", pd, at, at.Add(45*time.Minute))
	if err != nil || f.Amount() != domain.Euros(1388) || f.Duration() != 45*time.Minute {
		t.Errorf("finish %+v, %v", f, err)
	}

	_, err = domain.NewJobPlan(domain.JobPlanInput{JobID: "", CustomerID: "", Description: "bad\x00", LicenseNumber: "\xff"})
	want := []string{"jobId", "planningDate", "customerId", "description", "licenseNumber", "startTime", "endTime"}
	if got := fields(t, err, domain.ErrInvalidJob); !reflect.DeepEqual(got, want) {
		t.Errorf("plan fields %v, want %v", got, want)
	}
	p, err := domain.NewJobPlan(domain.JobPlanInput{JobID: "j", PlanningDate: pd, CustomerID: "c", Start: at, End: at})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := domain.NewJobFinish("k", pd, at, at)
	if _, err := domain.NewBillableJob(p, other); !errors.Is(err, domain.ErrInvalidJob) {
		t.Errorf("plan and finish of different jobs: %v", err)
	}
	otherDay, _ := domain.NewJobFinish("j", pd.AddDays(1), at, at)
	if _, err := domain.NewBillableJob(p, otherDay); !errors.Is(err, domain.ErrInvalidJob) {
		t.Errorf("plan and finish of the same id on different days: %v", err)
	}
}

// TestNewInvoiceBillsOneIdOfTwoDays: the workshop makes job ids unique per day only,
// so the same id on two days is two jobs: two lines, ordered by date.
func TestNewInvoiceBillsOneIdOfTwoDays(t *testing.T) {
	t.Parallel()
	second := job(t, "j-1", "c-1", "2026-03-03", "08:00", 2*time.Hour)
	first := job(t, "j-1", "c-1", "2026-03-02", "08:00", time.Hour)
	inv, err := domain.NewInvoice(uuid.New(), number(t, 2026, 1), date(t, "2026-03-04"), customer(t, "c-1"),
		[]domain.BillableJob{second, first})
	if err != nil {
		t.Fatal(err)
	}
	ls := inv.Lines()
	if len(ls) != 2 || ls[0].Date().String() != "2026-03-02" || ls[1].Date().String() != "2026-03-03" ||
		inv.Total() != domain.Euros(5550) || !reflect.DeepEqual(inv.JobIDs(), []string{"j-1", "j-1"}) {
		t.Errorf("invoice lines %+v total %s", ls, inv.Total())
	}
}

func TestCustomerValidation(t *testing.T) {
	t.Parallel()
	_, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: "", Name: "a\nb", Address: "\x00", PostalCode: "\xfe", City: "ok"})
	want := []string{"customerId", "name", "address", "postalCode"}
	if got := fields(t, err, domain.ErrInvalidCustomer); !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	// Markup is data, not an error: the invoice renderer escapes it.
	c, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: "c", Name: "<script>alert(1)</script>"})
	if err != nil || c.Name() != "<script>alert(1)</script>" {
		t.Errorf("customer %+v, %v", c, err)
	}
}
