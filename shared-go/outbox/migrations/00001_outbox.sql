-- +goose Up
-- The transactional outbox: rows are written in the same transaction as the state
-- change and removed by the relay once JetStream has acknowledged them.
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    event_type    text        NOT NULL,
    source        text        NOT NULL,
    subject       text        NOT NULL DEFAULT '',
    occurred_at   timestamptz NOT NULL,
    payload       bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts      integer     NOT NULL DEFAULT 0,
    available_at  timestamptz NOT NULL DEFAULT '-infinity',
    last_error    text
);

-- Rows that could not be published after the configured attempts, kept with the reason.
CREATE TABLE outbox_dead_letter (
    id            bigint      PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    event_type    text        NOT NULL,
    source        text        NOT NULL,
    subject       text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    payload       bytea       NOT NULL,
    created_at    timestamptz NOT NULL,
    attempts      integer     NOT NULL,
    error         text        NOT NULL,
    dead_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE outbox_dead_letter;
DROP TABLE outbox;
