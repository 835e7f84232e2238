package adapters

import (
	"context"
	"fmt"
	"time"

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

// RecordJobPlan creates the job (planning date and id) with its plan, or adds the plan
// to the job whose finish or cancel arrived first. The plan of an invoiced job is left
// as it was billed.
func (w *ReadModelTxStore) RecordJobPlan(ctx context.Context, p domain.JobPlan) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO jobs (job_id, planning_date, planned, customer_id, description,
			license_number, planned_start, planned_end)
		VALUES ($1, $2, true, $3, $4, $5, $6, $7)
		ON CONFLICT (planning_date, job_id) DO UPDATE SET planned = true,
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
// finished keeps its first times: the workshop finishes a job once. A cancelled job
// stays cancelled (the workshop never finishes one) and is not invoiced.
func (w *ReadModelTxStore) RecordJobFinish(ctx context.Context, f domain.JobFinish) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO jobs (job_id, planning_date, finished, actual_start, actual_end)
		VALUES ($1, $2, true, $3, $4)
		ON CONFLICT (planning_date, job_id) DO UPDATE SET finished = true, actual_start = EXCLUDED.actual_start,
			actual_end = EXCLUDED.actual_end, updated_at = now()
		WHERE NOT jobs.finished`,
		f.JobID(), f.PlanningDate().Time(), f.ActualStart(), f.ActualEnd())
	if err != nil {
		return fmt.Errorf("record job finish: %w", err)
	}
	return nil
}

// jobStateBefore reads a job's row as it was before the statement it is part of (a
// data-modifying CTE sees the statement's snapshot).
const jobStateBefore = `before AS (
		SELECT planned, finished, cancelled, invoice_id IS NOT NULL AS invoiced FROM jobs
		WHERE planning_date = $1 AND job_id = $2
	)`

// selectJobStateBefore returns the row of jobStateBefore, all false when there was none.
const selectJobStateBefore = `SELECT EXISTS (SELECT 1 FROM before),
		coalesce((SELECT planned FROM before), false), coalesce((SELECT finished FROM before), false),
		coalesce((SELECT cancelled FROM before), false), coalesce((SELECT invoiced FROM before), false)`

func (w *ReadModelTxStore) jobState(ctx context.Context, sql string, args ...any) (application.JobState, error) {
	var st application.JobState
	err := w.tx.QueryRow(ctx, sql, args...).Scan(&st.Known, &st.Planned, &st.Finished, &st.Cancelled, &st.Invoiced)
	return st, err
}

// RecordJobCancel marks the job cancelled, creating its row (without a plan) when the
// plan has not arrived yet; an invoiced job is left as billed.
func (w *ReadModelTxStore) RecordJobCancel(ctx context.Context, k domain.JobKey) (application.JobState, error) {
	st, err := w.jobState(ctx, `WITH `+jobStateBefore+`, upsert AS (
			INSERT INTO jobs (planning_date, job_id, cancelled) VALUES ($1, $2, true)
			ON CONFLICT (planning_date, job_id) DO UPDATE SET cancelled = true, updated_at = now()
			WHERE NOT jobs.cancelled AND jobs.invoice_id IS NULL
		) `+selectJobStateBefore, k.PlanningDate().Time(), k.JobID())
	if err != nil {
		return application.JobState{}, fmt.Errorf("record job cancel: %w", err)
	}
	return st, nil
}

// RescheduleJob sets the planned job's planned times, unless it is invoiced.
func (w *ReadModelTxStore) RescheduleJob(ctx context.Context, k domain.JobKey, start, end time.Time) (application.JobState, error) {
	st, err := w.jobState(ctx, `WITH `+jobStateBefore+`, moved AS (
			UPDATE jobs SET planned_start = $3, planned_end = $4, updated_at = now()
			WHERE planning_date = $1 AND job_id = $2 AND planned AND invoice_id IS NULL
		) `+selectJobStateBefore, k.PlanningDate().Time(), k.JobID(), start, end)
	if err != nil {
		return application.JobState{}, fmt.Errorf("reschedule job: %w", err)
	}
	return st, nil
}

// ForgetJob deletes the job's row of its day unless the job is finished or invoiced
// (work done is billed, whatever came after).
func (w *ReadModelTxStore) ForgetJob(ctx context.Context, k domain.JobKey) (application.JobState, error) {
	st, err := w.jobState(ctx, `WITH `+jobStateBefore+`, gone AS (
			DELETE FROM jobs WHERE planning_date = $1 AND job_id = $2 AND NOT finished AND invoice_id IS NULL
		) `+selectJobStateBefore, k.PlanningDate().Time(), k.JobID())
	if err != nil {
		return application.JobState{}, fmt.Errorf("forget job: %w", err)
	}
	return st, nil
}
