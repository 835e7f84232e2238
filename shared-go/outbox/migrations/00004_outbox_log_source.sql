-- +goose Up
-- Log-based CDC (ADR 0006): the relay reads committed outbox inserts from a logical
-- replication slot instead of polling this table. A row the log source will not
-- deliver again (committed before the slot existed, failed to publish, or behind
-- such a row of its aggregate) is marked held and published from this table instead,
-- in id order, by the same code as the polling source.
ALTER TABLE outbox ADD COLUMN held boolean NOT NULL DEFAULT false;
CREATE INDEX outbox_held ON outbox (subject, id) WHERE held;

-- The slot this outbox is relayed from, recorded in the same transaction that marked
-- the rows committed before it as held. A slot without this record was created by a
-- relay that died before adopting it: it is dropped and created again.
CREATE TABLE outbox_slot (
    slot_name         text        PRIMARY KEY,
    consistent_point  text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE outbox_slot;
DROP INDEX outbox_held;
ALTER TABLE outbox DROP COLUMN held;
