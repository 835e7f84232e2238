package admin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pitstop/pitstop/shared-go/outbox"
)

// ErrSlotActive: a WAL sender streams from the replication slot; it is dropped only
// with force. The HTTP API maps it to 409.
var ErrSlotActive = errors.New("replication slot is active")

// slotReleaseWait bounds the wait for a forced slot's WAL sender to let go of it.
const slotReleaseWait = 10 * time.Second

// pitstopSlot matches the name of an outbox relay's slot, outbox.SlotName:
// pitstop_<context>_<first 8 hex digits of md5(database)>.
var pitstopSlot = regexp.MustCompile(`^pitstop_([a-z_][a-z0-9_]*)_[0-9a-f]{8}$`)

// Slot is a logical replication slot of the database. A slot keeps every WAL segment
// from its restart position on until its reader confirms it, so a slot nobody reads
// fills the disk (docs/operating.md, "Replication slots").
type Slot struct {
	Name     string `json:"name"`
	Plugin   string `json:"plugin"`
	Database string `json:"database"`
	// Active: a WAL sender streams from the slot now; ActivePID is its backend.
	Active    bool `json:"active"`
	ActivePID int  `json:"activePid,omitempty"`
	// Pitstop: the name is an outbox relay's (pitstop_<context>_<8 hex of md5(database)>,
	// outbox.SlotName); Context is that context's schema.
	Pitstop bool   `json:"pitstop"`
	Context string `json:"context,omitempty"`
	// ConfirmedFlushLSN is the position the reader confirmed ("" if none yet).
	ConfirmedFlushLSN string `json:"confirmedFlushLsn,omitempty"`
	// LagBytes is the WAL written since ConfirmedFlushLSN: how far the reader is behind.
	LagBytes int64 `json:"lagBytes"`
	// RetainedBytes is the WAL the slot keeps on disk (from its restart position).
	RetainedBytes int64 `json:"retainedBytes"`
	// WALStatus is Postgres's wal_status: reserved, extended, unreserved or lost.
	WALStatus string `json:"walStatus,omitempty"`
}

// OutboxSlot is the replication slot an outbox's relay reads (the log source).
type OutboxSlot struct {
	Name          string `json:"name"`
	Active        bool   `json:"active"`
	LagBytes      int64  `json:"lagBytes"`
	RetainedBytes int64  `json:"retainedBytes"`
}

// Slots lists the logical replication slots of the database the Admin's pool points at,
// in name order (only the scoped context's slot for a scoped Admin).
func (a *Admin) Slots(ctx context.Context) ([]Slot, error) {
	all, _, err := a.slots(ctx)
	if err != nil {
		return nil, err
	}
	out := []Slot{}
	for _, s := range all {
		if a.opts.Context == "" || s.Context == a.opts.Context {
			out = append(out, s)
		}
	}
	return out, nil
}

// slots lists every logical slot of the current database, and that database's name.
func (a *Admin) slots(ctx context.Context) ([]Slot, string, error) {
	var db string
	if err := a.pool.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return nil, "", fmt.Errorf("replication slots: %w", err)
	}
	rows, err := a.pool.Query(ctx, `SELECT slot_name, coalesce(plugin, ''), coalesce(database, ''), active,
			coalesce(active_pid, 0), coalesce(confirmed_flush_lsn::text, ''),
			coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint,
			coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint,
			coalesce(wal_status, '')
		FROM pg_replication_slots WHERE slot_type = 'logical' AND database = current_database()
		ORDER BY slot_name`)
	if err != nil {
		return nil, "", fmt.Errorf("replication slots: %w", err)
	}
	defer rows.Close()
	var out []Slot
	for rows.Next() {
		var s Slot
		if err := rows.Scan(&s.Name, &s.Plugin, &s.Database, &s.Active, &s.ActivePID, &s.ConfirmedFlushLSN,
			&s.LagBytes, &s.RetainedBytes, &s.WALStatus); err != nil {
			return nil, "", fmt.Errorf("replication slots: %w", err)
		}
		s.LagBytes, s.RetainedBytes = max(s.LagBytes, 0), max(s.RetainedBytes, 0)
		if m := pitstopSlot.FindStringSubmatch(s.Name); m != nil {
			s.Pitstop, s.Context = true, m[1]
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("replication slots: %w", err)
	}
	return out, db, nil
}

// outboxSlots maps each context in scope to the slot its relay reads
// (outbox.SlotName(context, database)), for Status.
func (a *Admin) outboxSlots(ctx context.Context) (map[string]*OutboxSlot, error) {
	all, db, err := a.slots(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*OutboxSlot{}
	for _, s := range all {
		if s.Context != "" && s.Name == outbox.SlotName(s.Context, db) {
			out[s.Context] = &OutboxSlot{Name: s.Name, Active: s.Active, LagBytes: s.LagBytes, RetainedBytes: s.RetainedBytes}
		}
	}
	return out, nil
}

// DropSlotRequest says who drops a slot and why (both required), and whether an active
// slot's WAL sender may be terminated.
type DropSlotRequest struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
	Force  bool   `json:"force"`
}

// DroppedSlot is what DropSlot did.
type DroppedSlot struct {
	// Slot is the slot as it was just before the drop.
	Slot   Slot   `json:"slot"`
	By     string `json:"by"`
	Reason string `json:"reason"`
	// Terminated lists the WAL senders terminated to release the slot (Force).
	Terminated []int `json:"terminated,omitempty"`
	// RecordDeleted: the slot's row in <context>.outbox_slot was deleted.
	RecordDeleted bool `json:"recordDeleted"`
}

// DropSlot drops the logical replication slot name of the database, with its record
// in <context>.outbox_slot for a Pitstop slot, and logs who and why.
//
// An active slot (a WAL sender streams from it) is refused with ErrSlotActive unless
// req.Force: then its WAL sender is terminated (pg_terminate_backend) and the slot
// dropped as soon as it is released, within 10 seconds; a reader that takes it again
// meanwhile is terminated too. (A slot being created is active for its creator;
// terminating the creator makes Postgres drop the slot itself.)
//
// Dropping a Pitstop slot loses no event: the outbox table is the source of truth, and
// the relay's next leadership term creates a new slot and publishes every row still in
// the table from the table (ADR 0006). The record is deleted only if it still names the
// dropped slot's creation, so the record of a slot the relay created again meanwhile
// under the same name stays.
//
// Errors wrap ErrInvalid (no by or reason), ErrNotFound (no such slot in scope) or
// ErrSlotActive.
func (a *Admin) DropSlot(ctx context.Context, name string, req DropSlotRequest) (DroppedSlot, error) {
	if strings.TrimSpace(req.By) == "" {
		return DroppedSlot{}, invalid("who drops the slot (by) is required")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return DroppedSlot{}, invalid("a reason is required to drop a replication slot")
	}
	all, _, err := a.slots(ctx)
	if err != nil {
		return DroppedSlot{}, err
	}
	i := slices.IndexFunc(all, func(s Slot) bool {
		return s.Name == name && (a.opts.Context == "" || s.Context == a.opts.Context)
	})
	if i < 0 {
		return DroppedSlot{}, fmt.Errorf("replication slot %q: %w", name, ErrNotFound)
	}
	out := DroppedSlot{Slot: all[i], By: req.By, Reason: req.Reason}
	if out.Slot.Active && !req.Force {
		return DroppedSlot{}, fmt.Errorf("slot %s: %w (WAL sender pid %d streams from it); force terminates it first",
			name, ErrSlotActive, out.Slot.ActivePID)
	}
	record, point, err := a.slotRecord(ctx, out.Slot)
	if err != nil {
		return DroppedSlot{}, err
	}
	if out.Terminated, err = a.dropReleased(ctx, name, req.Force); err != nil {
		return out, err
	}
	if record != "" && point != "" {
		tag, err := a.pool.Exec(ctx, `DELETE FROM `+record+` WHERE slot_name = $1 AND consistent_point = $2`, name, point)
		if err != nil {
			return out, fmt.Errorf("slot %s is dropped, but deleting its record in %s failed: %w", name, record, err)
		}
		out.RecordDeleted = tag.RowsAffected() > 0
	}
	a.opts.Log.InfoContext(ctx, "replication slot dropped", "slot", name, "context", out.Slot.Context,
		"by", req.By, "reason", req.Reason, "forced", req.Force, "terminated_pids", out.Terminated,
		"retained_bytes", out.Slot.RetainedBytes, "lag_bytes", out.Slot.LagBytes, "record_deleted", out.RecordDeleted)
	return out, nil
}

// slotRecord finds a Pitstop slot's record: the outbox_slot table of its context and
// the consistent point recorded for it ("" when there is none).
func (a *Admin) slotRecord(ctx context.Context, s Slot) (table, point string, err error) {
	if s.Context == "" {
		return "", "", nil
	}
	tbl := ident(s.Context, "outbox_slot")
	var exists bool
	if err := a.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, tbl).Scan(&exists); err != nil {
		return "", "", fmt.Errorf("slot %s: find its record: %w", s.Name, err)
	}
	if !exists {
		return "", "", nil
	}
	err = a.pool.QueryRow(ctx, `SELECT consistent_point FROM `+tbl+` WHERE slot_name = $1`, s.Name).Scan(&point)
	if err != nil && !isNoRows(err) {
		return "", "", fmt.Errorf("slot %s: read its record: %w", s.Name, err)
	}
	return tbl, point, nil
}

// dropReleased drops the slot once no WAL sender holds it, terminating its holders when
// force is set; it returns the terminated pids.
func (a *Admin) dropReleased(ctx context.Context, name string, force bool) ([]int, error) {
	deadline := time.Now().Add(slotReleaseWait)
	var terminated []int
	for {
		var (
			active bool
			pid    int
		)
		err := a.pool.QueryRow(ctx, `SELECT active, coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = $1`,
			name).Scan(&active, &pid)
		switch {
		case isNoRows(err) && len(terminated) > 0:
			// The terminated backend was creating the slot: Postgres dropped it.
			return terminated, nil
		case isNoRows(err):
			return terminated, fmt.Errorf("replication slot %q was dropped by someone else meanwhile: %w", name, ErrNotFound)
		case err != nil:
			return terminated, fmt.Errorf("slot %s: %w", name, err)
		case active && !force:
			return terminated, fmt.Errorf("slot %s: %w (a WAL sender, pid %d, took it meanwhile)", name, ErrSlotActive, pid)
		case active && pid != 0 && !slices.Contains(terminated, pid):
			if _, err := a.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
				return terminated, fmt.Errorf("slot %s: terminate its WAL sender %d: %w", name, pid, err)
			}
			terminated = append(terminated, pid)
		case !active:
			_, err := a.pool.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, name)
			var pgErr *pgconn.PgError
			switch {
			case err == nil:
				return terminated, nil
			case errors.As(err, &pgErr) && pgErr.Code == "42704": // undefined_object
				return terminated, fmt.Errorf("replication slot %q was dropped by someone else meanwhile: %w", name, ErrNotFound)
			case !errors.As(err, &pgErr) || pgErr.Code != "55006": // object_in_use: taken again since
				return terminated, fmt.Errorf("drop slot %s: %w", name, err)
			}
		}
		if time.Now().After(deadline) {
			return terminated, fmt.Errorf("slot %s: %w: still held after %s (terminated %v)", name, ErrSlotActive, slotReleaseWait, terminated)
		}
		select {
		case <-ctx.Done():
			return terminated, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
