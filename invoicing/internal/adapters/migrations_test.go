package adapters_test

import (
	"context"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/invoicing/internal/adapters"
	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// TestMigrationKeysJobsByDayAndKeepsRows: a database at version 1 (jobs keyed by job
// id) with an invoiced job, a finished one waiting for the next day and a planned one
// is migrated: every row and its data is kept, the waiting job is still invoiced, and
// afterwards the same id may be planned, finished and invoiced on another day without
// touching the first job.
func TestMigrationKeysJobsByDayAndKeepsRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	v1, err := os.ReadFile("migrations/00001_invoicing.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, pool, schema, adapters.MigrationSet,
		fstest.MapFS{"00001_invoicing.sql": {Data: v1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO customers (customer_id, name, address, postal_code, city, event_time, event_id)
			VALUES ('c-1', 'Lisa Verbeek', 'Kerkstraat 1', '1234 AB', 'Amsterdam', now(), gen_random_uuid());
		INSERT INTO invoices (invoice_id, invoice_year, invoice_seq, invoice_number, invoice_date, due_date, customer_id,
				customer_name, customer_address, customer_postal_code, customer_city, currency, amount_cents, message_id)
			VALUES ('00000000-0000-0000-0000-000000000001', 2026, 1, '2026-000001', '2026-03-03', '2026-04-02', 'c-1',
				'Lisa Verbeek', 'Kerkstraat 1', '1234 AB', 'Amsterdam', 'EUR', 3700, 'invoice.1@pitstop.example');
		INSERT INTO invoice_lines (invoice_id, line_no, job_id, job_date, license_number, description, actual_start,
				actual_end, amount_cents)
			VALUES ('00000000-0000-0000-0000-000000000001', 1, 'j-1', '2026-03-02', 'AB-123-C', 'APK',
				'2026-03-02 08:00Z', '2026-03-02 10:00Z', 3700);
		INSERT INTO invoice_number_counters (year, last_value) VALUES (2026, 1);
		INSERT INTO jobs (job_id, planning_date, planned, customer_id, description, license_number, planned_start,
				planned_end, finished, actual_start, actual_end, invoice_id) VALUES
			('j-1', '2026-03-02', true, 'c-1', 'APK', 'AB-123-C', '2026-03-02 08:00Z', '2026-03-02 10:00Z',
				true, '2026-03-02 08:00Z', '2026-03-02 10:00Z', '00000000-0000-0000-0000-000000000001'),
			('j-2', '2026-03-03', true, 'c-1', 'Oil', 'AB-123-C', '2026-03-03 08:00Z', '2026-03-03 09:00Z',
				true, '2026-03-03 08:00Z', '2026-03-03 09:00Z', NULL),
			('j-3', '2026-03-04', true, 'c-1', 'Tyres', 'AB-123-C', '2026-03-04 08:00Z', '2026-03-04 09:00Z',
				false, NULL, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}

	if err := adapters.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	// Every row and its data survives; no job is cancelled.
	if n := count(t, pool, `SELECT count(*) FROM jobs WHERE NOT cancelled AND (
			(job_id = 'j-1' AND planning_date = '2026-03-02' AND invoice_id IS NOT NULL AND description = 'APK') OR
			(job_id = 'j-2' AND planning_date = '2026-03-03' AND finished AND invoice_id IS NULL AND description = 'Oil') OR
			(job_id = 'j-3' AND planning_date = '2026-03-04' AND planned AND NOT finished AND description = 'Tyres'))`); n != 3 {
		t.Fatalf("%d of the 3 job rows kept as they were", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM invoice_lines WHERE job_id = 'j-1' AND job_date = '2026-03-02'`); n != 1 {
		t.Fatalf("%d invoice lines kept, want 1", n)
	}

	// The same id j-1 on another day is another job: planned, finished and invoiced
	// with j-2 (waiting since before the migration), leaving the invoiced j-1 alone.
	repo := adapters.NewInvoicePostgresRepository(pool, schema, adapters.NewMailbox(schema))
	at := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	p, err := domain.NewJobPlan(domain.JobPlanInput{JobID: "j-1", PlanningDate: domain.DateOf(at), CustomerID: "c-1",
		Description: "APK again", LicenseNumber: "AB-123-C", Start: at, End: at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := domain.NewJobFinish("j-1", domain.DateOf(at), at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var pending []application.PendingJob
	if err := inTx(t, pool, func(tx pgx.Tx) error {
		s := repo.TxStore(tx)
		if err := s.RecordJobPlan(ctx, p); err != nil {
			return err
		}
		if err := s.RecordJobFinish(ctx, f); err != nil {
			return err
		}
		pending, _, err = s.PendingJobs(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].Job.JobID() != "j-2" || pending[1].Job.Key().String() != "2026-03-05/j-1" {
		t.Fatalf("pending %+v, want j-2 and j-1 of 2026-03-05", pending)
	}
	if n := count(t, pool, `SELECT count(*) FROM jobs WHERE job_id = 'j-1' AND planning_date = '2026-03-02'
			AND description = 'APK' AND invoice_id IS NOT NULL`); n != 1 {
		t.Errorf("the invoiced j-1 of 2026-03-02 was changed")
	}
}

func count(t *testing.T, pool interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
