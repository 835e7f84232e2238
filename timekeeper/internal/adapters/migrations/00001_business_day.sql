-- +goose Up
-- The current business day: exactly one row, created here with no day yet. Every
-- change locks this row (SELECT ... FOR UPDATE), so replicas and concurrent requests
-- that start days are serialised and never start the same day twice.
CREATE TABLE business_day (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    current_day date,
    started_at  timestamptz,
    CHECK ((current_day IS NULL) = (started_at IS NULL))
);
INSERT INTO business_day DEFAULT VALUES;

-- Every business day ever started, once: the primary key is a second guard (besides
-- the row lock) that no day starts twice, and the history is kept for operators.
CREATE TABLE started_days (
    day        date        PRIMARY KEY,
    started_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE started_days;
DROP TABLE business_day;
