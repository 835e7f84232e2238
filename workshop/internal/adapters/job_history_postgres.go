package adapters

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// queueHistory queues the job_history change of one event of the planning of date on b,
// which PlanningPostgresRepository.SaveAll sends in the transaction that stores the
// event: the read model commits or rolls back with the event store.
func queueHistory(b *pgx.Batch, date domain.PlanningDate, e domain.Event) {
	d := date.String()
	switch e := e.(type) {
	case domain.MaintenanceJobPlanned:
		b.Queue(`INSERT INTO job_history (planning_date, job_id, start_time, end_time, start_at, description, status,
				customer_id, customer_name, customer_telephone_number, license_number, brand, vehicle_type)
			VALUES ($1, $2, $3, $4, $5, $6, 'Planned', $7, $8, $9, $10, $11, $12)`,
			d, e.JobID.String(), formatTime(e.Slot.Start()), formatTime(e.Slot.End()), e.Slot.Start(), e.Description,
			e.Customer.ID(), e.Customer.Name(), e.Customer.TelephoneNumber(),
			e.Vehicle.LicenseNumber().String(), e.Vehicle.Brand(), e.Vehicle.Type())
	case domain.MaintenanceJobFinished:
		b.Queue(`UPDATE job_history SET status = 'Completed', actual_start_time = $3, actual_end_time = $4, notes = $5
			WHERE planning_date = $1 AND job_id = $2`,
			d, e.JobID.String(), formatTime(e.Actual.Start()), formatTime(e.Actual.End()), e.Notes)
	case domain.MaintenanceJobCancelled:
		b.Queue(`UPDATE job_history SET status = 'Cancelled', cancellation_reason = $3
			WHERE planning_date = $1 AND job_id = $2`, d, e.JobID.String(), e.Reason)
	case domain.MaintenanceJobMoved:
		if e.ToDate == date {
			b.Queue(`UPDATE job_history SET start_time = $3, end_time = $4, start_at = $5
				WHERE planning_date = $1 AND job_id = $2`,
				d, e.JobID.String(), formatTime(e.Slot.Start()), formatTime(e.Slot.End()), e.Slot.Start())
			return
		}
		b.Queue(`UPDATE job_history SET status = 'Moved', moved_to_date = $3, moved_to_job_id = $4
			WHERE planning_date = $1 AND job_id = $2`, d, e.JobID.String(), e.ToDate.String(), e.ToJobID.String())
	}
}

// JobHistoryPostgresRepository reads job_history. It is safe for concurrent use.
type JobHistoryPostgresRepository struct {
	pool *pgxpool.Pool
}

var _ application.HistoryReader = (*JobHistoryPostgresRepository)(nil)

// NewJobHistoryPostgresRepository returns the history reader of the pool's schema.
func NewJobHistoryPostgresRepository(pool *pgxpool.Pool) *JobHistoryPostgresRepository {
	return &JobHistoryPostgresRepository{pool: pool}
}

// JobHistory returns up to limit entries of the vehicle or customer of f after after,
// newest first (planning date, start, job id, all descending), through the index of the
// filter's column.
func (r *JobHistoryPostgresRepository) JobHistory(ctx context.Context, f application.HistoryFilter, after application.HistoryKey, limit int) ([]application.HistoryEntry, error) {
	column, value := "license_number", f.LicenseNumber
	if f.CustomerID != "" {
		column, value = "customer_id", f.CustomerID
	}
	q := `SELECT planning_date::text, job_id, start_time, end_time, start_at, description, status,
			actual_start_time, actual_end_time, notes, cancellation_reason, moved_to_date::text, moved_to_job_id,
			customer_id, customer_name, customer_telephone_number, license_number, brand, vehicle_type
		FROM job_history WHERE ` + column + ` = $1`
	args := []any{value}
	if after.PlanningDate != "" {
		q += ` AND (planning_date, start_at, job_id) < ($2::date, $3, $4)`
		args = append(args, after.PlanningDate, after.StartAt, after.JobID)
	}
	q += fmt.Sprintf(` ORDER BY planning_date DESC, start_at DESC, job_id DESC LIMIT %d`, limit)
	rows, err := r.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (application.HistoryEntry, error) {
		var h application.HistoryEntry
		err := row.Scan(&h.PlanningDate, &h.JobID, &h.StartTime, &h.EndTime, &h.StartAt, &h.Description, &h.Status,
			&h.ActualStartTime, &h.ActualEndTime, &h.Notes, &h.CancellationReason, &h.MovedToDate, &h.MovedToJobID,
			&h.CustomerID, &h.CustomerName, &h.CustomerTelephone, &h.LicenseNumber, &h.Brand, &h.VehicleType)
		return h, err
	})
}
