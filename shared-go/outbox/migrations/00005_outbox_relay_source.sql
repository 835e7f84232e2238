-- +goose Up
-- The source the outbox's leading relay reads with, written by the relay when it
-- becomes leader. Writers notify (pg_notify, which takes Postgres's cluster-wide NOTIFY
-- lock at commit) only when it is not 'log': a relay tailing the write-ahead log needs
-- no wake-up. One row at most.
CREATE TABLE outbox_relay (
    one           boolean     PRIMARY KEY DEFAULT true CHECK (one),
    source        text        NOT NULL,
    leader_since  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE outbox_relay;
