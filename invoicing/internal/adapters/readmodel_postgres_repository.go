package adapters

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// ReadModelTxStore writes the customers and jobs read model inside one transaction
// (the consumer's, which also records the event in the inbox). It must not outlive the
// transaction.
type ReadModelTxStore struct {
	tx pgx.Tx
}

var _ application.ReadModelWriter = (*ReadModelTxStore)(nil)

// NewReadModelTxStore binds a store to tx.
func NewReadModelTxStore(tx pgx.Tx) *ReadModelTxStore { return &ReadModelTxStore{tx: tx} }

// UpsertCustomer inserts or updates the customer. A sequenced event (v.Seq > 0) always
// wins: the consumer applies an aggregate's events in sequence order. An unsequenced
// one wins only over a row from an older event (by event time, then event id). It
// reports whether the row was written.
func (w *ReadModelTxStore) UpsertCustomer(ctx context.Context, c domain.Customer, v application.SourceVersion) (bool, error) {
	tag, err := w.tx.Exec(ctx, `INSERT INTO customers (customer_id, name, address, postal_code, city, event_time, event_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
			postal_code = EXCLUDED.postal_code, city = EXCLUDED.city, event_time = EXCLUDED.event_time,
			event_id = EXCLUDED.event_id, updated_at = now()
		WHERE $8::bigint > 0 OR (EXCLUDED.event_time, EXCLUDED.event_id) > (customers.event_time, customers.event_id)`,
		c.ID(), c.Name(), c.Address(), c.PostalCode(), c.City(), v.Time, v.EventID, v.Seq)
	if err != nil {
		return false, fmt.Errorf("upsert customer: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordJobPlan creates the job with its plan, or adds the plan to the job whose finish
// arrived first. The plan of an invoiced job is left as it was billed.
func (w *ReadModelTxStore) RecordJobPlan(ctx context.Context, p domain.JobPlan) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO jobs (job_id, planning_date, planned, customer_id, description,
			license_number, planned_start, planned_end)
		VALUES ($1, $2, true, $3, $4, $5, $6, $7)
		ON CONFLICT (job_id) DO UPDATE SET planning_date = EXCLUDED.planning_date, planned = true,
			customer_id = EXCLUDED.customer_id, description = EXCLUDED.description,
			license_number = EXCLUDED.license_number, planned_start = EXCLUDED.planned_start,
			planned_end = EXCLUDED.planned_end, updated_at = now()
		WHERE jobs.invoice_id IS NULL`,
		p.JobID(), p.PlanningDate().Time(), p.CustomerID(), p.Description(), p.LicenseNumber(), p.Start(), p.End())
	if err != nil {
		return fmt.Errorf("record job plan: %w", err)
	}
	return nil
}

// RecordJobFinish marks the job finished with its actual times, creating it when its
// plan has not arrived yet (the plan completes it later). A job that is already
// finished keeps its first times: the workshop finishes a job once.
func (w *ReadModelTxStore) RecordJobFinish(ctx context.Context, f domain.JobFinish) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO jobs (job_id, planning_date, finished, actual_start, actual_end)
		VALUES ($1, $2, true, $3, $4)
		ON CONFLICT (job_id) DO UPDATE SET finished = true, actual_start = EXCLUDED.actual_start,
			actual_end = EXCLUDED.actual_end, updated_at = now()
		WHERE NOT jobs.finished`,
		f.JobID(), f.PlanningDate().Time(), f.ActualStart(), f.ActualEnd())
	if err != nil {
		return fmt.Errorf("record job finish: %w", err)
	}
	return nil
}
