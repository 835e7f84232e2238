-- +goose Up
-- Every Pitstop event, once per event id, with its CloudEvents attributes as columns
-- and its body as published. seq orders the log (keyset paging); it is assigned under
-- a table lock held until commit, so entries become visible in seq order.
CREATE TABLE audit_entries (
    seq          bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_id     uuid        PRIMARY KEY,                  -- ce-id
    type         text        NOT NULL,                     -- ce-type, pitstop.<context>.<EventType>
    -- The last dot-separated segment of type (CustomerRegistered), for ?type=<short name>.
    short_type   text        GENERATED ALWAYS AS (substring(type FROM '[^.]*$')) STORED,
    subject      text        NOT NULL,                     -- ce-subject ('' when absent)
    source       text        NOT NULL,                     -- ce-source
    time         timestamptz NOT NULL,                     -- ce-time, for filtering (microseconds)
    time_text    text        NOT NULL,                     -- ce-time in RFC 3339 with its offset and nanoseconds
    data         jsonb       NOT NULL,                     -- the body
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_entries_type_seq ON audit_entries (type, seq);
CREATE INDEX audit_entries_short_type_seq ON audit_entries (short_type, seq);
CREATE INDEX audit_entries_subject_seq ON audit_entries (subject, seq);
CREATE INDEX audit_entries_time ON audit_entries (time);

-- +goose Down
DROP TABLE audit_entries;
