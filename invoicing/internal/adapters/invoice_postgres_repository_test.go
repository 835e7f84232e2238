package adapters_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/invoicing/internal/adapters"
	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "invoicing"

func setup(t *testing.T) (*adapters.InvoicePostgresRepository, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	for range 2 { // migrating twice is a no-op (every process migrates at start-up)
		if err := adapters.Migrate(ctx, pool, schema); err != nil {
			t.Fatal(err)
		}
	}
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if err := mail.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	return adapters.NewInvoicePostgresRepository(pool, schema, adapters.NewMailbox(schema)), pool
}

func inTx(t *testing.T, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	t.Helper()
	return postgres.WithTx(context.Background(), pool, fn)
}

var day = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func mustDate(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func plan(t *testing.T, jobID, customerID string) domain.JobPlan {
	t.Helper()
	p, err := domain.NewJobPlan(domain.JobPlanInput{JobID: jobID, PlanningDate: domain.DateOf(day), CustomerID: customerID,
		Description: "APK", LicenseNumber: "AB-123-C", Start: day, End: day.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func finish(t *testing.T, jobID string, d time.Duration) domain.JobFinish {
	t.Helper()
	f, err := domain.NewJobFinish(jobID, domain.DateOf(day), day, day.Add(d))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func cust(t *testing.T, id, name string) domain.Customer {
	t.Helper()
	c, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: id, Name: name, Address: "Kerkstraat 1",
		PostalCode: "1234 AB", City: "Amsterdam"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInvoiceNumbersAreSequentialAndGapFree(t *testing.T) {
	t.Parallel()
	repo, pool := setup(t)
	ctx := context.Background()
	next := func(year int) domain.InvoiceNumber {
		var n domain.InvoiceNumber
		if err := inTx(t, pool, func(tx pgx.Tx) (err error) {
			n, err = repo.TxStore(tx).NextInvoiceNumber(ctx, year)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := next(2026); n.String() != "2026-000001" {
		t.Fatalf("first number %s", n)
	}
	// A rolled-back transaction leaves no gap.
	rollback := errors.New("rollback")
	if err := inTx(t, pool, func(tx pgx.Tx) error {
		if _, err := repo.TxStore(tx).NextInvoiceNumber(ctx, 2026); err != nil {
			return err
		}
		return rollback
	}); !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if n := next(2026); n.String() != "2026-000002" {
		t.Fatalf("number after a rollback %s", n)
	}
	if n := next(2027); n.String() != "2027-000001" {
		t.Fatalf("first number of 2027 %s", n)
	}
	// Concurrent transactions get distinct, consecutive numbers.
	var (
		mu   sync.Mutex
		seqs []int64
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			n := next(2026)
			mu.Lock()
			seqs = append(seqs, n.Seq())
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(seqs)
	if want := []int64{3, 4, 5, 6, 7, 8, 9, 10}; !reflect.DeepEqual(seqs, want) {
		t.Errorf("concurrent numbers %v, want %v", seqs, want)
	}
}

func TestPendingJobsMergePlanAndFinishInEitherOrder(t *testing.T) {
	t.Parallel()
	repo, pool := setup(t)
	ctx := context.Background()
	v := application.SourceVersion{Time: day, EventID: uuid.New()}
	if err := inTx(t, pool, func(tx pgx.Tx) error {
		w := adapters.NewReadModelTxStore(tx)
		if _, err := w.UpsertCustomer(ctx, cust(t, "c-1", "Lisa"), v); err != nil {
			return err
		}
		for _, step := range []func() error{
			func() error { return w.RecordJobFinish(ctx, finish(t, "finished-first", time.Hour)) },
			func() error { return w.RecordJobPlan(ctx, plan(t, "finished-first", "c-1")) },
			func() error { return w.RecordJobPlan(ctx, plan(t, "planned-first", "c-1")) },
			func() error { return w.RecordJobFinish(ctx, finish(t, "planned-first", 2*time.Hour)) },
			// A second finish does not change the first one's times.
			func() error { return w.RecordJobFinish(ctx, finish(t, "planned-first", 5*time.Hour)) },
			func() error { return w.RecordJobPlan(ctx, plan(t, "unfinished", "c-1")) },
			func() error { return w.RecordJobFinish(ctx, finish(t, "never-planned", time.Hour)) },
			func() error { return w.RecordJobPlan(ctx, plan(t, "unknown-customer", "c-2")) },
			func() error { return w.RecordJobFinish(ctx, finish(t, "unknown-customer", time.Hour)) },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var (
		pending []application.PendingJob
		waiting int
	)
	if err := inTx(t, pool, func(tx pgx.Tx) (err error) {
		pending, waiting, err = repo.TxStore(tx).PendingJobs(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Duration{}
	for _, p := range pending {
		if p.Customer.ID() != "c-1" || p.Customer.Name() != "Lisa" || p.Job.Plan().Description() != "APK" {
			t.Errorf("pending %+v", p)
		}
		got[p.Job.JobID()] = p.Job.Finish().Duration()
	}
	if want := map[string]time.Duration{"finished-first": time.Hour, "planned-first": 2 * time.Hour}; !reflect.DeepEqual(got, want) {
		t.Errorf("pending %v, want %v", got, want)
	}
	if waiting != 2 {
		t.Errorf("waiting %d, want 2 (never planned, unknown customer)", waiting)
	}
}

func TestCustomerNewerEventWins(t *testing.T) {
	t.Parallel()
	_, pool := setup(t)
	ctx := context.Background()
	older := application.SourceVersion{Time: day, EventID: uuid.New()}
	newer := application.SourceVersion{Time: day.Add(time.Second), EventID: uuid.New()}
	var written []bool
	if err := inTx(t, pool, func(tx pgx.Tx) error {
		w := adapters.NewReadModelTxStore(tx)
		for _, u := range []struct {
			name string
			v    application.SourceVersion
		}{{"New", newer}, {"Old", older}, {"Again", newer}} {
			ok, err := w.UpsertCustomer(ctx, cust(t, "c-1", u.name), u.v)
			if err != nil {
				return err
			}
			written = append(written, ok)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := pool.QueryRow(ctx, `SELECT name FROM customers WHERE customer_id = 'c-1'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "New" || !reflect.DeepEqual(written, []bool{true, false, false}) {
		t.Errorf("name %q, written %v", name, written)
	}
}

// addInvoice records jobs of customer c-1 and bills them on one invoice.
func addInvoice(t *testing.T, repo *adapters.InvoicePostgresRepository, pool *pgxpool.Pool, jobIDs ...string) (domain.Invoice, error) {
	t.Helper()
	ctx := context.Background()
	var inv domain.Invoice
	err := inTx(t, pool, func(tx pgx.Tx) error {
		book := repo.TxStore(tx)
		n, err := book.NextInvoiceNumber(ctx, 2026)
		if err != nil {
			return err
		}
		var jobs []domain.BillableJob
		for _, id := range jobIDs {
			j, err := domain.NewBillableJob(plan(t, id, "c-1"), finish(t, id, time.Hour))
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		if inv, err = domain.NewInvoice(uuid.New(), n, mustDate(t, "2026-03-03"), cust(t, "c-1", "Lisa"), jobs); err != nil {
			return err
		}
		return book.AddInvoice(ctx, inv, application.InvoiceMail{ID: application.InvoiceMailID(inv.ID()),
			From: application.InvoiceMailFrom, To: []string{application.PrintCompanyAddress},
			Subject: "Invoice " + inv.Number().String(), HTML: "<p>invoice</p>"})
	})
	return inv, err
}

func TestAddInvoiceBillsAJobOnceAndReadsBack(t *testing.T) {
	t.Parallel()
	repo, pool := setup(t)
	ctx := context.Background()
	if err := inTx(t, pool, func(tx pgx.Tx) error {
		w := adapters.NewReadModelTxStore(tx)
		for _, id := range []string{"j-1", "j-2", "j-3"} {
			if err := w.RecordJobPlan(ctx, plan(t, id, "c-1")); err != nil {
				return err
			}
			if err := w.RecordJobFinish(ctx, finish(t, id, time.Hour)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	inv, err := addInvoice(t, repo, pool, "j-1", "j-2")
	if err != nil {
		t.Fatal(err)
	}
	// Billing j-2 again fails and stores nothing (not even the number).
	if _, err := addInvoice(t, repo, pool, "j-3", "j-2"); !errors.Is(err, application.ErrJobAlreadyInvoiced) {
		t.Fatalf("second bill of j-2: %v", err)
	}
	var invoices, mails int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM mail_outbox)`).
		Scan(&invoices, &mails); err != nil {
		t.Fatal(err)
	}
	if invoices != 1 || mails != 1 {
		t.Errorf("%d invoices, %d mails after a rejected bill", invoices, mails)
	}
	// A plan arriving after invoicing does not change the billed job.
	if err := inTx(t, pool, func(tx pgx.Tx) error {
		return adapters.NewReadModelTxStore(tx).RecordJobPlan(ctx, plan(t, "j-1", "c-9"))
	}); err != nil {
		t.Fatal(err)
	}

	rec, err := repo.Invoice(ctx, inv.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.Invoice.JobIDs(), inv.JobIDs()) || rec.Invoice.Total() != domain.Euros(3700) ||
		rec.Invoice.Number() != inv.Number() || rec.Invoice.DueDate() != inv.DueDate() ||
		rec.Invoice.Customer() != inv.Customer() || rec.SentAt != nil || rec.Position < 1 {
		t.Errorf("read back %+v", rec)
	}
	for k, l := range rec.Invoice.Lines() {
		want := inv.Lines()[k]
		if l.JobID() != want.JobID() || l.Date() != want.Date() || !l.ActualStart().Equal(want.ActualStart()) ||
			!l.ActualEnd().Equal(want.ActualEnd()) || l.Amount() != want.Amount() || l.Description() != want.Description() {
			t.Errorf("line %d: %+v, want %+v", k, l.Details(), want.Details())
		}
	}
	// Once the dispatcher marks the mail sent, the invoice reports it.
	sentAt := time.Date(2026, 3, 3, 0, 0, 5, 0, time.UTC)
	if _, err := pool.Exec(ctx, `UPDATE mail_outbox SET sent_at = $1`, sentAt); err != nil {
		t.Fatal(err)
	}
	recs, err := repo.Invoices(ctx, "c-1", 0, 10)
	if err != nil || len(recs) != 1 || recs[0].SentAt == nil || !recs[0].SentAt.Equal(sentAt) {
		t.Fatalf("list %+v, %v", recs, err)
	}
	if _, err := repo.Invoice(ctx, uuid.New()); !errors.Is(err, domain.ErrInvoiceNotFound) {
		t.Errorf("unknown invoice: %v", err)
	}
}
