-- +goose Up
-- Per-aggregate order: the last sequence number a consumer applied per aggregate
-- (<context>/<subject>). An event ahead of its predecessor waits; an older or equal one
-- is a duplicate. The row is locked in the effect's transaction, so two replicas of one
-- consumer apply an aggregate's events one after the other, in order.
CREATE TABLE inbox_sequence (
    consumer   text   NOT NULL,
    aggregate  text   NOT NULL,
    last_seq   bigint NOT NULL,
    PRIMARY KEY (consumer, aggregate)
);

-- The inbox records, per consumer, the order in which events were applied: applied
-- is taken after the aggregate's sequence row is locked, so for one aggregate it
-- increases in application order (an audit of per-aggregate order, and the chaos
-- test's checker).
ALTER TABLE inbox ADD COLUMN aggregate text NOT NULL DEFAULT '';
ALTER TABLE inbox ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN applied bigint GENERATED ALWAYS AS IDENTITY;

-- Real failures (a handler that ran and failed) per event, counted toward the
-- dead-letter limit; infrastructure faults never come here.
CREATE TABLE consumer_failure (
    consumer       text          NOT NULL,
    event_id       uuid          NOT NULL,
    failures       integer       NOT NULL,
    attempt_times  timestamptz[] NOT NULL,
    last_error     text          NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- A dead letter parks its aggregate for its consumer until requeued or skipped.
ALTER TABLE consumer_dead_letter ADD COLUMN event_type text NOT NULL DEFAULT '';
ALTER TABLE consumer_dead_letter ADD COLUMN aggregate text NOT NULL DEFAULT '';
ALTER TABLE consumer_dead_letter ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE consumer_dead_letter ADD COLUMN attempt_times timestamptz[] NOT NULL DEFAULT '{}';
ALTER TABLE consumer_dead_letter ADD COLUMN resolved_at timestamptz;
ALTER TABLE consumer_dead_letter ADD COLUMN resolution text;
ALTER TABLE consumer_dead_letter ADD COLUMN resolved_by text;
ALTER TABLE consumer_dead_letter ADD COLUMN resolve_note text;
CREATE INDEX consumer_dead_letter_unresolved ON consumer_dead_letter (consumer, aggregate) WHERE resolved_at IS NULL;

-- +goose Down
DROP INDEX consumer_dead_letter_unresolved;
ALTER TABLE consumer_dead_letter DROP COLUMN resolve_note, DROP COLUMN resolved_by, DROP COLUMN resolution,
    DROP COLUMN resolved_at, DROP COLUMN attempt_times, DROP COLUMN seq, DROP COLUMN aggregate, DROP COLUMN event_type;
DROP TABLE consumer_failure;
ALTER TABLE inbox DROP COLUMN applied, DROP COLUMN seq, DROP COLUMN aggregate;
DROP TABLE inbox_sequence;
