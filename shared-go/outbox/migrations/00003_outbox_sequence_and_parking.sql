-- +goose Up
-- Per-aggregate order: every event carries its position in its aggregate's history.
-- The writer takes the next value from outbox_sequence in the writing transaction; the
-- row lock it takes there serialises writers of one aggregate, so seq order is commit
-- order is id order within an aggregate.
ALTER TABLE outbox ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN attempt_times timestamptz[] NOT NULL DEFAULT '{}';
CREATE TABLE outbox_sequence (
    subject  text   PRIMARY KEY,
    seq      bigint NOT NULL
);

-- A dead letter keeps the event whole, its last real error and every attempt's time.
-- While unresolved it parks its aggregate: the later rows of that subject wait in the
-- outbox until an operator requeues (the row goes back to the outbox with its id) or
-- skips it (kept here, resolved, with who and why).
ALTER TABLE outbox_dead_letter ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE outbox_dead_letter ADD COLUMN attempt_times timestamptz[] NOT NULL DEFAULT '{}';
ALTER TABLE outbox_dead_letter ADD COLUMN resolved_at timestamptz;
ALTER TABLE outbox_dead_letter ADD COLUMN resolution text;
ALTER TABLE outbox_dead_letter ADD COLUMN resolved_by text;
ALTER TABLE outbox_dead_letter ADD COLUMN resolve_note text;
CREATE INDEX outbox_dead_letter_parked ON outbox_dead_letter (subject) WHERE resolved_at IS NULL;

-- +goose Down
DROP INDEX outbox_dead_letter_parked;
ALTER TABLE outbox_dead_letter DROP COLUMN resolve_note, DROP COLUMN resolved_by, DROP COLUMN resolution,
    DROP COLUMN resolved_at, DROP COLUMN attempt_times, DROP COLUMN seq;
DROP TABLE outbox_sequence;
ALTER TABLE outbox DROP COLUMN attempt_times, DROP COLUMN seq;
