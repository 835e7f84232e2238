-- +goose Up
-- Who caused each event (the CloudEvents extension ce-actor); '' for the events
-- published without one, among them every event recorded before this column existed.
-- A constant default makes adding the column instant, whatever the table's size.
ALTER TABLE audit_entries ADD COLUMN actor text NOT NULL DEFAULT '';

-- Each list order ends with seq (total, so a keyset position is exact); these indexes
-- serve ?actor= in recording order, and ?sort=time and -time alone or after an exact
-- type, a short type or an actor. (type, seq), (short_type, seq) and (subject, seq)
-- exist already and serve recording and type order.
CREATE INDEX audit_entries_actor_seq ON audit_entries (actor, seq);
CREATE INDEX audit_entries_actor_time ON audit_entries (actor, time, seq);
CREATE INDEX audit_entries_type_time ON audit_entries (type, time, seq);
CREATE INDEX audit_entries_short_type_time ON audit_entries (short_type, time, seq);
-- (time, seq) replaces (time): it serves time ranges as well.
CREATE INDEX audit_entries_time_seq ON audit_entries (time, seq);
DROP INDEX audit_entries_time;

-- +goose Down
CREATE INDEX audit_entries_time ON audit_entries (time);
DROP INDEX audit_entries_time_seq;
DROP INDEX audit_entries_short_type_time;
DROP INDEX audit_entries_type_time;
DROP INDEX audit_entries_actor_time;
DROP INDEX audit_entries_actor_seq;
ALTER TABLE audit_entries DROP COLUMN actor;
