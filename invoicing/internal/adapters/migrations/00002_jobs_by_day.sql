-- +goose Up

-- The workshop makes job ids unique within a planning day only: a job is its planning
-- date and its id. Keyed by the id alone, a job planned on another day with a reused id
-- overwrote the first one's data. Existing rows keep their data: their ids were unique,
-- so (planning_date, job_id) is too.
ALTER TABLE jobs DROP CONSTRAINT jobs_pkey;
ALTER TABLE jobs ADD CONSTRAINT jobs_pkey PRIMARY KEY (planning_date, job_id);

-- No job (day and id) is ever on two invoices; job_date is the job's planning date.
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_job_id_key;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_job_key UNIQUE (job_date, job_id);

-- A job cancelled in the workshop (MaintenanceJobCancelled) keeps its row, marked, and
-- is never invoiced; a cancel that arrives before the plan creates the row, and the
-- plan finds it cancelled. (A job moved to another day is deleted from its old day:
-- the new day's MaintenanceJobPlanned makes a row of its own.)
ALTER TABLE jobs ADD COLUMN cancelled boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD CONSTRAINT jobs_cancelled_not_invoiced CHECK (invoice_id IS NULL OR NOT cancelled);

DROP INDEX jobs_to_invoice;
CREATE INDEX jobs_to_invoice ON jobs (customer_id) WHERE finished AND NOT cancelled AND invoice_id IS NULL;

-- +goose Down
-- Fails while a job id is used on two days (the old key cannot hold both).
DROP INDEX jobs_to_invoice;
CREATE INDEX jobs_to_invoice ON jobs (customer_id) WHERE finished AND invoice_id IS NULL;
ALTER TABLE jobs DROP CONSTRAINT jobs_cancelled_not_invoiced;
ALTER TABLE jobs DROP COLUMN cancelled;
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_job_key;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_job_id_key UNIQUE (job_id);
ALTER TABLE jobs DROP CONSTRAINT jobs_pkey;
ALTER TABLE jobs ADD CONSTRAINT jobs_pkey PRIMARY KEY (job_id);
