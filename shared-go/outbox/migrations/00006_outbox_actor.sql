-- +goose Up
-- Who caused each event (the CloudEvents extension "actor", header ce-actor): the
-- signed-in staff account or API client of the command, '' when unknown.
ALTER TABLE outbox ADD COLUMN actor text NOT NULL DEFAULT '';
ALTER TABLE outbox_dead_letter ADD COLUMN actor text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox_dead_letter DROP COLUMN actor;
ALTER TABLE outbox DROP COLUMN actor;
