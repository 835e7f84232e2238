-- +goose Up
-- Rows being retried after a failed publish hold back the later rows of their
-- aggregate (subject); this small partial index makes that check cheap.
CREATE INDEX outbox_retrying ON outbox (subject, id) WHERE attempts > 0;

-- +goose Down
DROP INDEX outbox_retrying;
