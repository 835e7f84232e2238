-- +goose Up

-- A job cancelled in the workshop (MaintenanceJobCancelled) keeps its row, marked, and
-- is never reminded; a cancel that arrives before the plan creates the row, and the
-- plan finds it cancelled. (A job moved to another day is deleted from its old day:
-- its new day's MaintenanceJobPlanned makes a row of its own.)
ALTER TABLE jobs ADD COLUMN cancelled boolean NOT NULL DEFAULT false;

DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (planning_date, customer_id)
    WHERE planned AND NOT finished AND NOT cancelled AND reminder_id IS NULL;

-- +goose Down
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (planning_date, customer_id) WHERE planned AND NOT finished AND reminder_id IS NULL;
ALTER TABLE jobs DROP COLUMN cancelled;
