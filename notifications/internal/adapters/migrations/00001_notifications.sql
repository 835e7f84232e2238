-- +goose Up

-- Customers' contact data, kept from the customers context's events. Each row keeps the
-- time and id of the event it came from; an upsert only wins over a row from an older
-- event, so redelivered or reordered events never move a row backwards.
CREATE TABLE customers (
    customer_id    text        COLLATE "C" PRIMARY KEY,
    name           text        NOT NULL,
    email_address  text        NOT NULL,
    event_time     timestamptz NOT NULL,
    event_id       uuid        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One reminder e-mail to one customer about their jobs of one business day. seq counts
-- a customer's reminders of a day (more than one only when jobs of the day become known
-- after its first reminder). id orders the list API.
CREATE TABLE reminders (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    text        COLLATE "C" NOT NULL,
    reminder_date  date        NOT NULL,
    seq            integer     NOT NULL CHECK (seq >= 1),
    job_ids        text[]      NOT NULL CHECK (cardinality(job_ids) > 0),
    message_id     text        NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, reminder_date, seq)
);
CREATE INDEX reminders_by_date ON reminders (reminder_date, id);

-- Maintenance jobs, kept from the workshop's events; the key is the planning's day and
-- the job id (unique within a planning). A row may exist before its plan (planned =
-- false) when MaintenanceJobFinished arrived first: the finish is never lost. Times are
-- kept as published (RFC 3339 with the workshop's local offset), which is what a
-- reminder shows. reminder_id is set, once, when the job is reminded.
CREATE TABLE jobs (
    planning_date  date        NOT NULL,
    job_id         text        COLLATE "C" NOT NULL,
    planned        boolean     NOT NULL DEFAULT false,
    customer_id    text        COLLATE "C",
    start_time     text,
    end_time       text,
    description    text,
    license_number text,
    finished       boolean     NOT NULL DEFAULT false,
    reminder_id    bigint      REFERENCES reminders (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (planning_date, job_id),
    CHECK (NOT planned OR (customer_id IS NOT NULL AND start_time IS NOT NULL AND end_time IS NOT NULL
        AND description IS NOT NULL AND license_number IS NOT NULL))
);
-- The jobs still to remind, by day and customer.
CREATE INDEX jobs_due ON jobs (planning_date, customer_id) WHERE planned AND NOT finished AND reminder_id IS NULL;

-- The business days that began (DayHasPassed); the latest is the current business day.
CREATE TABLE business_days (
    day            date        PRIMARY KEY,
    started_at     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE business_days;
DROP TABLE jobs;
DROP TABLE reminders;
DROP TABLE customers;
