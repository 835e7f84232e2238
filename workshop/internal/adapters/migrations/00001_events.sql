-- +goose Up
-- The workshop's event store: one stream per planning (stream_id = YYYY-MM-DD), its
-- events numbered 1, 2, ... The primary key is the optimistic-concurrency check: two
-- writers appending the same version cannot both commit.
CREATE TABLE events (
    stream_id    text        NOT NULL,
    version      integer     NOT NULL CHECK (version > 0),
    event_id     uuid        NOT NULL UNIQUE,
    event_type   text        NOT NULL,
    data         jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (stream_id, version)
);

-- +goose Down
DROP TABLE events;
