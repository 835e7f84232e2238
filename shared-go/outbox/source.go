package outbox

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// Source is where a relay reads committed events from (ADR 0006).
type Source string

const (
	// SourceAuto reads the write-ahead log when Postgres runs with wal_level=logical
	// and falls back to polling the table (with a start-up log line) when it does not.
	SourceAuto Source = "auto"
	// SourceLog tails a logical replication slot (pgoutput, a publication on the
	// outbox table): no polling, no NOTIFY, events in commit order.
	SourceLog Source = "log"
	// SourcePoll claims rows from the outbox table, woken by NOTIFY and a poll.
	SourcePoll Source = "poll"
)

// ParseSource reads a RELAY_SOURCE value ("" means auto).
func ParseSource(s string) (Source, error) {
	switch Source(s) {
	case "", SourceAuto:
		return SourceAuto, nil
	case SourceLog, SourcePoll:
		return Source(s), nil
	}
	return "", fmt.Errorf("relay source %q: want auto, log or poll", s)
}

var schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// slotPrefix is the part of a slot's name before the database's hash.
func slotPrefix(schema string) string { return "pitstop_" + schema + "_" }

// SlotName is the logical replication slot of schema's outbox in database db. Slot
// names are unique in the whole cluster, so the database is part of the name (as a
// short hash: slot names are at most 63 characters).
func SlotName(schema, db string) string {
	h := md5.Sum([]byte(db))
	return slotPrefix(schema) + hex.EncodeToString(h[:4])
}

// slotNameSQL computes SlotName in SQL for the current database ($n is the prefix).
func slotNameSQL(param string) string {
	return param + ` || left(md5(current_database()), 8)`
}

// PublicationName is the publication of schema's outbox table (publications belong to
// one database, so the schema is enough).
func PublicationName(schema string) string { return "pitstop_outbox_" + schema }

// walLevel reads the server's wal_level.
func walLevel(ctx context.Context, conn *pgx.Conn) (string, error) {
	var level string
	if err := conn.QueryRow(ctx, `SELECT current_setting('wal_level')`).Scan(&level); err != nil {
		return "", fmt.Errorf("read wal_level: %w", err)
	}
	return level, nil
}

// chooseSource decides this leadership term's source: the configured one, with auto
// resolved by the server's wal_level. A forced log source on a server that cannot
// decode the log is an error (the relay keeps retrying and says why).
func (r *Relay) chooseSource(ctx context.Context, conn *pgx.Conn) (Source, error) {
	if r.cfg.Source == SourcePoll {
		return SourcePoll, nil
	}
	level, err := walLevel(ctx, conn)
	if err != nil {
		return "", err
	}
	if level == "logical" {
		return SourceLog, nil
	}
	if r.cfg.Source == SourceLog {
		return "", fmt.Errorf("RELAY_SOURCE=log needs wal_level=logical, the server runs with wal_level=%s", level)
	}
	if r.fallbackLogged.CompareAndSwap(false, true) {
		r.log.Warn("outbox relay falls back to polling the outbox table: Postgres runs with wal_level="+level+
			", not logical (set wal_level=logical and restart Postgres to tail the log; see ADR 0006)",
			"wal_level", level)
	}
	return SourcePoll, nil
}

// dropStaleSlot drops this outbox's slot when the relay polls: nobody reads it then,
// and a slot that nobody reads keeps every WAL segment from its position on (it would
// fill the disk). A later log-source term creates a fresh slot from the table.
func (r *Relay) dropStaleSlot(ctx context.Context, conn *pgx.Conn, slot string) error {
	tag, err := conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE slot_name = $1 AND NOT active`, slot)
	if err != nil {
		return fmt.Errorf("drop stale slot %s: %w", slot, err)
	}
	if tag.RowsAffected() > 0 {
		r.log.Warn("dropped the replication slot of this outbox: the relay polls the table, nobody reads the slot", "slot", slot)
		if _, err := conn.Exec(ctx, `DELETE FROM outbox_slot WHERE slot_name = $1`, slot); err != nil {
			return fmt.Errorf("forget slot %s: %w", slot, err)
		}
	}
	return nil
}
