-- +goose Up
-- Customers as the customers context published them. Each row keeps the time and id of
-- the event it came from; an upsert only wins over a row from an older event, so
-- redelivered or reordered events never move a row backwards.
CREATE TABLE customers (
    customer_id  text        COLLATE "C" PRIMARY KEY,
    name         text        NOT NULL,
    address      text        NOT NULL,
    postal_code  text        NOT NULL,
    city         text        NOT NULL,
    event_time   timestamptz NOT NULL,
    event_id     uuid        NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Issued invoices. position orders lists (creation order); the customer's name and
-- address are a snapshot taken when the invoice was created.
CREATE TABLE invoices (
    invoice_id            uuid        PRIMARY KEY,
    position              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    invoice_year          integer     NOT NULL,
    invoice_seq           bigint      NOT NULL,
    invoice_number        text        NOT NULL UNIQUE,
    invoice_date          date        NOT NULL,
    due_date              date        NOT NULL,
    customer_id           text        COLLATE "C" NOT NULL,
    customer_name         text        NOT NULL,
    customer_address      text        NOT NULL,
    customer_postal_code  text        NOT NULL,
    customer_city         text        NOT NULL,
    currency              text        NOT NULL,
    amount_cents          bigint      NOT NULL,
    message_id            text        NOT NULL UNIQUE,
    created_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (invoice_year, invoice_seq),
    CHECK (due_date > invoice_date)
);
CREATE INDEX invoices_by_customer ON invoices (customer_id, position);

-- One row per billed job; job_id is unique, so no job is ever on two invoices.
CREATE TABLE invoice_lines (
    invoice_id      uuid        NOT NULL REFERENCES invoices ON DELETE CASCADE,
    line_no         integer     NOT NULL,
    job_id          text        COLLATE "C" NOT NULL UNIQUE,
    job_date        date        NOT NULL,
    license_number  text        NOT NULL,
    description     text        NOT NULL,
    actual_start    timestamptz NOT NULL,
    actual_end      timestamptz NOT NULL,
    amount_cents    bigint      NOT NULL,
    PRIMARY KEY (invoice_id, line_no),
    CHECK (actual_end >= actual_start)
);

-- Maintenance jobs from the workshop's events. A job appears when its plan or its
-- finish arrives, whichever is first; the other one completes the row. invoice_id is
-- set, once, by the transaction that invoices the job.
CREATE TABLE jobs (
    job_id          text        COLLATE "C" PRIMARY KEY,
    planning_date   date        NOT NULL,
    planned         boolean     NOT NULL DEFAULT false,
    customer_id     text        COLLATE "C",
    description     text,
    license_number  text,
    planned_start   timestamptz,
    planned_end     timestamptz,
    finished        boolean     NOT NULL DEFAULT false,
    actual_start    timestamptz,
    actual_end      timestamptz,
    invoice_id      uuid        REFERENCES invoices,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT planned OR (customer_id IS NOT NULL AND description IS NOT NULL AND license_number IS NOT NULL
                           AND planned_start IS NOT NULL AND planned_end IS NOT NULL)),
    CHECK (NOT finished OR (actual_start IS NOT NULL AND actual_end IS NOT NULL AND actual_end >= actual_start)),
    CHECK (invoice_id IS NULL OR (planned AND finished))
);
-- What the next DayHasPassed looks at: finished and not yet invoiced.
CREATE INDEX jobs_to_invoice ON jobs (customer_id) WHERE finished AND invoice_id IS NULL;

-- The last invoice number handed out per year. Incremented in the transaction that
-- stores the invoice (its row lock serialises invoice creation), so numbers are
-- consecutive and never skipped by a rolled-back transaction.
CREATE TABLE invoice_number_counters (
    year        integer PRIMARY KEY,
    last_value  bigint  NOT NULL CHECK (last_value > 0)
);

-- +goose Down
DROP TABLE invoice_number_counters;
DROP TABLE jobs;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DROP TABLE customers;
