package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// MailQueue records a mail inside the caller's transaction; it is sent after commit.
type MailQueue interface {
	Enqueue(ctx context.Context, tx pgx.Tx, m application.InvoiceMail) error
}

// InvoicePostgresRepository reads invoices (application.InvoiceReader) and binds
// InvoiceTxStores to the consumer's transactions. It is safe for concurrent use.
type InvoicePostgresRepository struct {
	pool   *pgxpool.Pool
	outbox *outbox.Writer
	mail   MailQueue
}

var _ application.InvoiceReader = (*InvoicePostgresRepository)(nil)

// NewInvoicePostgresRepository returns the repository on pool, whose search_path must
// be schema; invoice mails are queued through mail. An invoice's SentAt is its mail's
// sent_at in the mail outbox of the same schema (shared-go/mail), read in the same query.
func NewInvoicePostgresRepository(pool *pgxpool.Pool, schema string, mail MailQueue) *InvoicePostgresRepository {
	return &InvoicePostgresRepository{pool: pool, outbox: outbox.NewWriter(schema), mail: mail}
}

// invoiceSelect reads invoices (alias i) with the sent time of their mail.
const invoiceSelect = `SELECT i.invoice_id, i.position, i.invoice_year, i.invoice_seq, i.invoice_date, i.due_date,
	i.customer_id, i.customer_name, i.customer_address, i.customer_postal_code, i.customer_city, i.currency, m.sent_at
	FROM invoices i LEFT JOIN mail_outbox m ON m.message_id = i.message_id`

type invoiceRow struct {
	rec       application.InvoiceRecord
	id        uuid.UUID
	number    domain.InvoiceNumber
	date, due domain.Date
	customer  domain.Customer
}

func scanInvoice(row pgx.CollectableRow) (invoiceRow, error) {
	var (
		r          invoiceRow
		year       int
		seq        int64
		date, due  time.Time
		currency   string
		customerID string
		d          domain.CustomerDetails
	)
	if err := row.Scan(&r.id, &r.rec.Position, &year, &seq, &date, &due, &customerID, &d.Name, &d.Address,
		&d.PostalCode, &d.City, &currency, &r.rec.SentAt); err != nil {
		return r, err
	}
	var err error
	if r.number, err = domain.NewInvoiceNumber(year, seq); err != nil {
		return r, err
	}
	if _, err := domain.ParseCurrency(currency); err != nil {
		return r, err
	}
	d.CustomerID = customerID
	if r.customer, err = domain.NewCustomer(d); err != nil {
		return r, err
	}
	r.date, r.due = domain.DateOf(date), domain.DateOf(due)
	return r, nil
}

// Invoice returns the invoice with id or an error wrapping domain.ErrInvoiceNotFound.
func (r *InvoicePostgresRepository) Invoice(ctx context.Context, id uuid.UUID) (application.InvoiceRecord, error) {
	rows, err := r.pool.Query(ctx, invoiceSelect+` WHERE i.invoice_id = $1`, id)
	if err != nil {
		return application.InvoiceRecord{}, err
	}
	got, err := pgx.CollectRows(rows, scanInvoice)
	if err != nil {
		return application.InvoiceRecord{}, err
	}
	if len(got) == 0 {
		return application.InvoiceRecord{}, domain.ErrInvoiceNotFound
	}
	out, err := r.complete(ctx, got)
	if err != nil {
		return application.InvoiceRecord{}, err
	}
	return out[0], nil
}

// Invoices returns at most n invoices with position > after in position order, only
// customerID's when it is not empty.
func (r *InvoicePostgresRepository) Invoices(ctx context.Context, customerID string, after int64, n int) ([]application.InvoiceRecord, error) {
	rows, err := r.pool.Query(ctx, invoiceSelect+`
		WHERE i.position > $1 AND ($2 = '' OR i.customer_id = $2) ORDER BY i.position LIMIT $3`, after, customerID, n)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, scanInvoice)
	if err != nil {
		return nil, err
	}
	return r.complete(ctx, got)
}

// complete loads the lines of invoices and builds the records.
func (r *InvoicePostgresRepository) complete(ctx context.Context, invs []invoiceRow) ([]application.InvoiceRecord, error) {
	if len(invs) == 0 {
		return []application.InvoiceRecord{}, nil
	}
	ids := make([]uuid.UUID, len(invs))
	for k, inv := range invs {
		ids[k] = inv.id
	}
	rows, err := r.pool.Query(ctx, `SELECT invoice_id, job_id, job_date, license_number, description, actual_start,
			actual_end, amount_cents
		FROM invoice_lines WHERE invoice_id = ANY($1) ORDER BY invoice_id, line_no`, ids)
	if err != nil {
		return nil, err
	}
	lines := map[uuid.UUID][]domain.InvoiceLine{}
	var (
		id    uuid.UUID
		d     domain.LineDetails
		day   time.Time
		cents int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &d.JobID, &day, &d.LicenseNumber, &d.Description, &d.ActualStart,
		&d.ActualEnd, &cents}, func() error {
		d.Date, d.Amount = domain.DateOf(day), domain.Euros(cents)
		lines[id] = append(lines[id], domain.RehydrateInvoiceLine(d))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read invoice lines: %w", err)
	}
	out := make([]application.InvoiceRecord, len(invs))
	for k, inv := range invs {
		rec := inv.rec
		rec.Invoice = domain.RehydrateInvoice(inv.id, inv.number, inv.date, inv.due, inv.customer, lines[inv.id])
		out[k] = rec
	}
	return out, nil
}

// TxStore binds an InvoiceTxStore to tx, the consumer's transaction.
func (r *InvoicePostgresRepository) TxStore(tx pgx.Tx) *InvoiceTxStore {
	return &InvoiceTxStore{ReadModelTxStore: NewReadModelTxStore(tx), tx: tx, outbox: r.outbox, mail: r.mail}
}

// InvoiceTxStore is the invoicing context's storage inside one transaction (the
// consumer's): the read model (the embedded ReadModelTxStore) and the invoices. An
// invoice, its lines, the jobs marked invoiced, the invoice mail and the
// InvoiceCreated event commit together with the DayHasPassed event's inbox row, or not
// at all. It must not outlive the transaction.
type InvoiceTxStore struct {
	*ReadModelTxStore
	tx     pgx.Tx
	outbox *outbox.Writer
	mail   MailQueue
}

var (
	_ application.InvoiceBook     = (*InvoiceTxStore)(nil)
	_ application.ReadModelWriter = (*InvoiceTxStore)(nil)
)

// PendingJobs locks (FOR UPDATE) and returns every finished, not cancelled, not yet
// invoiced job whose plan and customer are known, ordered by customer id, job date, actual start
// and job id; and counts the finished jobs waiting for their plan or their customer.
// The lock makes a concurrent invoicing transaction wait and then skip the jobs this
// one invoiced.
func (b *InvoiceTxStore) PendingJobs(ctx context.Context) ([]application.PendingJob, int, error) {
	rows, err := b.tx.Query(ctx, `SELECT j.job_id, j.planning_date, j.customer_id, j.description, j.license_number,
			j.planned_start, j.planned_end, j.actual_start, j.actual_end, c.name, c.address, c.postal_code, c.city
		FROM jobs j JOIN customers c ON c.customer_id = j.customer_id
		WHERE j.finished AND j.planned AND NOT j.cancelled AND j.invoice_id IS NULL
		ORDER BY j.customer_id, j.planning_date, j.actual_start, j.job_id
		FOR UPDATE OF j`)
	if err != nil {
		return nil, 0, fmt.Errorf("pending jobs: %w", err)
	}
	pending, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (application.PendingJob, error) {
		var (
			p            domain.JobPlanInput
			day          time.Time
			aStart, aEnd time.Time
			c            domain.CustomerDetails
		)
		if err := row.Scan(&p.JobID, &day, &p.CustomerID, &p.Description, &p.LicenseNumber, &p.Start, &p.End,
			&aStart, &aEnd, &c.Name, &c.Address, &c.PostalCode, &c.City); err != nil {
			return application.PendingJob{}, err
		}
		p.PlanningDate = domain.DateOf(day)
		c.CustomerID = p.CustomerID
		plan, err := domain.NewJobPlan(p)
		if err != nil {
			return application.PendingJob{}, err
		}
		finish, err := domain.NewJobFinish(p.JobID, p.PlanningDate, aStart, aEnd)
		if err != nil {
			return application.PendingJob{}, err
		}
		job, err := domain.NewBillableJob(plan, finish)
		if err != nil {
			return application.PendingJob{}, err
		}
		customer, err := domain.NewCustomer(c)
		if err != nil {
			return application.PendingJob{}, err
		}
		return application.PendingJob{Job: job, Customer: customer}, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pending jobs: %w", err)
	}
	var waiting int
	if err := b.tx.QueryRow(ctx, `SELECT count(*) FROM jobs j
		WHERE j.finished AND NOT j.cancelled AND j.invoice_id IS NULL
		  AND (NOT j.planned OR NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = j.customer_id))`).
		Scan(&waiting); err != nil {
		return nil, 0, fmt.Errorf("count waiting jobs: %w", err)
	}
	return pending, waiting, nil
}

// NextInvoiceNumber increments year's counter and returns the new number. The counter
// row stays locked until the transaction ends, so invoice creation is serialised and
// a rolled-back transaction leaves no gap.
func (b *InvoiceTxStore) NextInvoiceNumber(ctx context.Context, year int) (domain.InvoiceNumber, error) {
	var seq int64
	if err := b.tx.QueryRow(ctx, `INSERT INTO invoice_number_counters (year, last_value) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last_value = invoice_number_counters.last_value + 1
		RETURNING last_value`, year).Scan(&seq); err != nil {
		return domain.InvoiceNumber{}, fmt.Errorf("next invoice number of %d: %w", year, err)
	}
	return domain.NewInvoiceNumber(year, seq)
}

// AddInvoice stores inv and its lines, marks its jobs invoiced, queues m and adds evs
// to the outbox. A job that is already invoiced (or not billable any more) fails it
// with an error wrapping application.ErrJobAlreadyInvoiced.
func (b *InvoiceTxStore) AddInvoice(ctx context.Context, inv domain.Invoice, m application.InvoiceMail, evs ...events.Envelope) error {
	c := inv.Customer()
	if _, err := b.tx.Exec(ctx, `INSERT INTO invoices (invoice_id, invoice_year, invoice_seq, invoice_number,
			invoice_date, due_date, customer_id, customer_name, customer_address, customer_postal_code, customer_city,
			currency, amount_cents, message_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		inv.ID(), inv.Number().Year(), inv.Number().Seq(), inv.Number().String(), inv.Date().Time(),
		inv.DueDate().Time(), c.ID(), c.Name(), c.Address(), c.PostalCode(), c.City(),
		inv.Total().Currency().Code(), inv.Total().Cents(), m.ID); err != nil {
		return fmt.Errorf("add invoice %s: %w", inv.Number(), err)
	}
	batch := &pgx.Batch{}
	for k, l := range inv.Lines() {
		batch.Queue(`INSERT INTO invoice_lines (invoice_id, line_no, job_id, job_date, license_number, description,
				actual_start, actual_end, amount_cents)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			inv.ID(), k+1, l.JobID(), l.Date().Time(), l.LicenseNumber(), l.Description(), l.ActualStart(),
			l.ActualEnd(), l.Amount().Cents())
	}
	if err := b.tx.SendBatch(ctx, batch).Close(); err != nil {
		if postgres.IsUniqueViolation(err) {
			return fmt.Errorf("add invoice %s: %w", inv.Number(), application.ErrJobAlreadyInvoiced)
		}
		return fmt.Errorf("add invoice %s lines: %w", inv.Number(), err)
	}
	lines := inv.Lines()
	days, jobIDs := make([]time.Time, len(lines)), make([]string, len(lines))
	for k, l := range lines {
		days[k], jobIDs[k] = l.Date().Time(), l.JobID()
	}
	tag, err := b.tx.Exec(ctx, `UPDATE jobs SET invoice_id = $1, updated_at = now()
		WHERE (planning_date, job_id) IN (SELECT * FROM unnest($2::date[], $3::text[]))
			AND invoice_id IS NULL AND finished AND planned AND NOT cancelled`, inv.ID(), days, jobIDs)
	if err != nil {
		return fmt.Errorf("mark jobs of invoice %s: %w", inv.Number(), err)
	}
	if tag.RowsAffected() != int64(len(lines)) {
		return fmt.Errorf("add invoice %s: %d of %d jobs billable: %w", inv.Number(), tag.RowsAffected(), len(lines),
			application.ErrJobAlreadyInvoiced)
	}
	if err := b.mail.Enqueue(ctx, b.tx, m); err != nil {
		return fmt.Errorf("queue mail of invoice %s: %w", inv.Number(), err)
	}
	if err := b.outbox.Add(ctx, b.tx, evs...); err != nil {
		return fmt.Errorf("add invoice %s events: %w", inv.Number(), err)
	}
	return nil
}
