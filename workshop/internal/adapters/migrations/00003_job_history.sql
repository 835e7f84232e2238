-- +goose Up
-- The maintenance history read model: one row per job per planning day, kept in the
-- same transaction as the job's events (PlanningPostgresRepository.Save), so it is never
-- behind the event store. A job moved to another day has two rows: status Moved on the
-- day it left (moved_to_* say where it went) and its row on the new day. Times are kept
-- as planned (RFC 3339 text with the offset the client used); start_at orders them.
CREATE TABLE job_history (
    planning_date              date        NOT NULL,
    job_id                     text        COLLATE "C" NOT NULL,
    start_time                 text        NOT NULL,
    end_time                   text        NOT NULL,
    start_at                   timestamptz NOT NULL,
    description                text        NOT NULL,
    status                     text        NOT NULL CHECK (status IN ('Planned', 'Completed', 'Cancelled', 'Moved')),
    actual_start_time          text,
    actual_end_time            text,
    notes                      text,
    cancellation_reason        text,
    moved_to_date              date,
    moved_to_job_id            text,
    customer_id                text        COLLATE "C" NOT NULL,
    customer_name              text        NOT NULL,
    customer_telephone_number  text        NOT NULL,
    license_number             text        COLLATE "C" NOT NULL,
    brand                      text        NOT NULL,
    vehicle_type               text        NOT NULL,
    PRIMARY KEY (planning_date, job_id)
);
-- The two ways the history is asked for, each in its (newest first) order.
CREATE INDEX job_history_by_license ON job_history (license_number, planning_date DESC, start_at DESC, job_id DESC);
CREATE INDEX job_history_by_customer ON job_history (customer_id, planning_date DESC, start_at DESC, job_id DESC);

-- Backfill from the event store. Before this migration only WorkshopPlanningCreated,
-- MaintenanceJobPlanned and MaintenanceJobFinished could be stored, so those two job
-- events are the whole history.
INSERT INTO job_history (planning_date, job_id, start_time, end_time, start_at, description, status,
        customer_id, customer_name, customer_telephone_number, license_number, brand, vehicle_type)
SELECT stream_id::date, data->>'jobId', data->>'startTime', data->>'endTime', (data->>'startTime')::timestamptz,
       data->>'description', 'Planned',
       data->'customer'->>'customerId', data->'customer'->>'name', data->'customer'->>'telephoneNumber',
       upper(data->'vehicle'->>'licenseNumber'), data->'vehicle'->>'brand', data->'vehicle'->>'type'
FROM events
WHERE event_type = 'pitstop.workshop.MaintenanceJobPlanned'
ON CONFLICT (planning_date, job_id) DO NOTHING;

UPDATE job_history h
SET status = 'Completed', actual_start_time = e.data->>'actualStartTime', actual_end_time = e.data->>'actualEndTime',
    notes = coalesce(e.data->>'notes', '')
FROM events e
WHERE e.event_type = 'pitstop.workshop.MaintenanceJobFinished'
  AND h.planning_date = e.stream_id::date AND h.job_id = e.data->>'jobId';

-- The vehicles list can be filtered by owner (GET /api/refdata/vehicles?customerId=).
CREATE INDEX vehicles_by_owner ON vehicles (owner_id, license_number);

-- +goose Down
DROP INDEX vehicles_by_owner;
DROP TABLE job_history;
