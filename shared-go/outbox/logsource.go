package outbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pitstop/pitstop/shared-go/faults"
)

// The log source (ADR 0006). The leader streams the outbox's committed inserts from a
// logical replication slot (pgoutput, a publication on the outbox table) in commit
// order, publishes them with the same waves as the polling source, deletes what was
// acknowledged, and only then confirms the transaction's end LSN to the slot. A relay
// killed at any point resumes from the confirmed LSN: what it had published since is
// published again and absorbed by Nats-Msg-Id and the consumers' inbox.
//
// The table stays the source of truth. A row the stream will not deliver again is
// marked held and published from the table by the polling code (claim restricted to
// held rows): rows committed before the slot existed (marked in the slot's exported
// snapshot), rows whose publish failed (counted, backed off, dead-lettered as before),
// and rows of an aggregate that has held rows (so they go out after them, in id order).
// A dropped slot therefore loses nothing: the next leader creates a new one and marks
// everything still in the table as held.

// errSlotBlocked: the slot could not be created because transactions stay open.
var errSlotBlocked = errors.New("replication slot creation blocked")

// statusInterval is how often the reader reports the confirmed LSN to Postgres.
const statusInterval = time.Second

// chunk is a run of rows of one transaction handed from the reader to the leader.
type chunk struct {
	rows []row
	// xid is the transaction's id (32 bits, as pgoutput sends it).
	xid uint32
	// end is the transaction's end LSN when this chunk closes it (0 otherwise).
	end pglogrepl.LSN
}

// stream is one replication session's shared state.
type stream struct {
	chunks chan chunk
	// settle carries settled batches to the deleter, in order.
	settle chan settled
	// deleterDone is closed when the deleter returns.
	deleterDone chan struct{}
	errc        chan error
	// confirmed is the LSN Postgres may forget: every transaction ending at or before it
	// is acknowledged (and its rows deleted) or durably held in the table.
	confirmed atomic.Uint64
	// pushed counts chunks the reader handed over; done counts chunks settled. When they
	// are equal and the reader is between transactions, nothing received is pending.
	pushed, done atomic.Int64
}

type settled struct {
	ids    []int64
	xids   []uint32
	end    pglogrepl.LSN
	chunks int
}

func (s *stream) fail(err error) {
	if err == nil {
		return // a goroutine that ended because the session did
	}
	select {
	case s.errc <- err:
	default:
	}
}

// leadLog leads with the log source until the lock connection fails or ctx ends. An
// infrastructure fault while publishing ends the replication session; the leader backs
// off and opens a new one from the confirmed LSN, keeping its lock.
func (r *Relay) leadLog(ctx context.Context, lock *pgx.Conn, slot string) error {
	if err := r.ensurePublication(ctx, lock); err != nil {
		return err
	}
	failures := 0
	for {
		transient, reason, err := r.streamSession(ctx, lock, slot)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		failures++
		r.transient.Failed(reason, transient)
		if reason == faults.StreamMissing {
			r.ensureStream(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(faults.Backoff(50*time.Millisecond, r.cfg.MaxBackoff, failures)):
		}
	}
}

// ensurePublication creates the publication of the outbox table's inserts if missing.
func (r *Relay) ensurePublication(ctx context.Context, lock *pgx.Conn) error {
	name := PublicationName(r.cfg.Schema)
	var exists bool
	if err := lock.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("find publication: %w", err)
	}
	if exists {
		return nil
	}
	_, err := lock.Exec(ctx, `CREATE PUBLICATION `+pgx.Identifier{name}.Sanitize()+` FOR TABLE `+
		pgx.Identifier{r.cfg.Schema, "outbox"}.Sanitize()+` WITH (publish = 'insert')`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42710" { // duplicate_object: another relay was faster
		return nil
	}
	if err != nil {
		return fmt.Errorf("create publication: %w", err)
	}
	r.log.Info("created publication of the outbox table", "publication", name)
	return nil
}

// connectReplication opens a logical replication connection with the pool's settings.
func (r *Relay) connectReplication(ctx context.Context) (*pgconn.PgConn, error) {
	cfg := r.pool.Config().ConnConfig.Config.Copy()
	cfg.RuntimeParams["replication"] = "database"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("replication connect: %w", err)
	}
	return conn, nil
}

// ensureSlot makes sure the slot exists and was adopted: a new slot is created with an
// exported snapshot, and in that very snapshot every row still in the table (committed
// before the slot's consistent point, so never in its stream) is marked held, in the
// transaction that records the slot. A slot without that record is dropped and created
// again: its creator died before adopting it.
func (r *Relay) ensureSlot(ctx context.Context, lock *pgx.Conn, repl *pgconn.PgConn, slot string) error {
	var exists, adopted bool
	if err := lock.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1),
			EXISTS (SELECT 1 FROM outbox_slot WHERE slot_name = $1)`, slot).Scan(&exists, &adopted); err != nil {
		return fmt.Errorf("find slot: %w", err)
	}
	if exists && adopted {
		return nil
	}
	if exists {
		r.log.Warn("dropping a replication slot that was never adopted (its creator died)", "slot", slot)
		if err := pglogrepl.DropReplicationSlot(ctx, repl, slot, pglogrepl.DropReplicationSlotOptions{Wait: true}); err != nil {
			return fmt.Errorf("drop unadopted slot: %w", err)
		}
	}
	// The record of an earlier slot goes first, so that a slot this relay creates and
	// dies before adopting is recognised as unadopted.
	if _, err := lock.Exec(ctx, `DELETE FROM outbox_slot WHERE slot_name = $1`, slot); err != nil {
		return fmt.Errorf("forget the earlier slot: %w", err)
	}
	// Creating a slot waits until every transaction running at that moment (in the
	// whole cluster) has ended. One left open for long would stall the relay: after
	// SlotWait the attempt is abandoned (its WAL sender terminated, so that no slot
	// appears later without being adopted) and the term polls instead.
	cctx, cancel := context.WithTimeout(ctx, r.cfg.SlotWait)
	res, err := pglogrepl.CreateReplicationSlot(cctx, repl, slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: "EXPORT_SNAPSHOT"})
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		_, _ = lock.Exec(ctx, `SELECT pg_terminate_backend($1)`, repl.PID())
		var oldest string
		_ = lock.QueryRow(ctx, `SELECT coalesce(min(xact_start)::text, 'none') FROM pg_stat_activity
			WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()`).Scan(&oldest)
		return fmt.Errorf("%w: still waiting after %s for transactions to end (oldest open since %s)", errSlotBlocked, r.cfg.SlotWait, oldest)
	}
	if err != nil {
		return fmt.Errorf("create slot %s: %w", slot, err)
	}
	var held int64
	err = pgx.BeginTxFunc(ctx, lock, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+res.SnapshotName+`'`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE outbox SET held = true WHERE NOT held`)
		if err != nil {
			return err
		}
		held = tag.RowsAffected()
		_, err = tx.Exec(ctx, `INSERT INTO outbox_slot (slot_name, consistent_point) VALUES ($1, $2)
			ON CONFLICT (slot_name) DO UPDATE SET consistent_point = EXCLUDED.consistent_point, created_at = now()`,
			slot, res.ConsistentPoint)
		return err
	})
	if err != nil {
		return fmt.Errorf("adopt slot %s: %w", slot, err)
	}
	r.log.Info("created the replication slot of this outbox", "slot", slot, "consistent_point", res.ConsistentPoint,
		"rows_published_from_the_table", held)
	return nil
}

// startReplication starts streaming the slot from its confirmed LSN. While the previous
// leader's WAL sender still holds the slot (it notices its client is gone within
// moments), it retries.
func (r *Relay) startReplication(ctx context.Context, repl *pgconn.PgConn, slot string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := pglogrepl.StartReplication(ctx, repl, slot, 0, pglogrepl.StartReplicationOptions{
			Mode: pglogrepl.LogicalReplication,
			PluginArgs: []string{"proto_version '1'", "binary 'true'",
				"publication_names '" + PublicationName(r.cfg.Schema) + "'"}})
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("start replication: %w", err)
			}
			return nil
		}
		select { // object_in_use: the slot is still active for the old WAL sender
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// streamSession runs one replication session. It returns a transient fault (and its
// reason) when publishing met one, or err when Postgres failed (the leader steps down).
func (r *Relay) streamSession(ctx context.Context, lock *pgx.Conn, slot string) (transient error, reason string, err error) {
	repl, err := r.connectReplication(ctx)
	if err != nil {
		return nil, "", err
	}
	defer repl.Close(context.WithoutCancel(ctx))
	if err := r.ensureSlot(ctx, lock, repl, slot); err != nil {
		return nil, "", err
	}
	if err := r.startReplication(ctx, repl, slot); err != nil {
		return nil, "", err
	}
	r.log.Debug("replication session started", "slot", slot, "pid", repl.PID())
	// The table first: rows held before this session (or marked when the slot was
	// created) go out before anything of their aggregates from the stream.
	held, err := r.sweepHeld(ctx, lock)
	if err != nil {
		return nil, "", err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &stream{chunks: make(chan chunk, 64), settle: make(chan settled, 4), deleterDone: make(chan struct{}),
		errc: make(chan error, 2)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.fail(r.read(sctx, repl, s)) }()
	go func() { defer wg.Done(); defer close(s.deleterDone); s.fail(r.deleteSettled(sctx, s)) }()
	defer func() { cancel(); wg.Wait() }()

	// The session stands after the back-off (as the polling source's empty batch after
	// one does): not backing off any more, even while there is nothing to publish.
	r.transient.Succeeded()
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, "", nil
		case err := <-s.errc:
			return nil, "", err
		case <-tick.C:
			// The table's turn: liveness of the lock session, held rows, parked aggregates.
			if held, err = r.sweepHeld(ctx, lock); err != nil {
				return nil, "", err
			}
		case c := <-s.chunks:
			batch := []chunk{c}
			n := len(c.rows)
		gather:
			for n < r.cfg.BatchSize {
				select {
				case c := <-s.chunks:
					batch = append(batch, c)
					n += len(c.rows)
				default:
					break gather
				}
			}
			res, err := r.relayChunks(ctx, lock, s, batch, held)
			if err != nil {
				select {
				case cause := <-s.errc: // the deleter's or reader's own error says more
					return nil, "", cause
				default:
					return nil, "", err
				}
			}
			if res.transient != nil {
				return res.transient, res.reason, nil
			}
		}
	}
}

// relayChunks publishes a batch from the stream and hands it to the deleter, which
// confirms its end LSN once its rows are gone. Rows of held aggregates, and rows the
// publish could not place, are marked held first, in one statement.
func (r *Relay) relayChunks(ctx context.Context, lock *pgx.Conn, s *stream, batch []chunk, held map[string]bool) (batchResult, error) {
	var (
		toPublish []row
		hold      []int64
		end       pglogrepl.LSN
		xids      = make([]uint32, 0, len(batch))
	)
	for _, c := range batch {
		if len(xids) == 0 || xids[len(xids)-1] != c.xid {
			xids = append(xids, c.xid)
		}
		for _, x := range c.rows {
			switch {
			case x.held: // inserted held (a requeued dead letter): the table's business
			case x.subject != "" && held[x.subject]:
				hold = append(hold, x.id)
			default:
				toPublish = append(toPublish, x)
			}
		}
		if c.end != 0 {
			end = c.end
		}
	}
	began := time.Now()
	acked, failed := r.publish(ctx, toPublish)
	if ctx.Err() != nil {
		return batchResult{}, ctx.Err()
	}
	r.log.Debug("stream batch published", "rows", len(toPublish), "acked", len(acked), "failed", len(failed),
		"held", len(hold), "took", time.Since(began))
	res := batchResult{claimed: len(toPublish), acked: len(acked)}
	counted := r.countFailures(&res, failed)
	if len(counted) > 0 || len(hold) > 0 {
		// Rows are about to be written to: their transactions must be visible first.
		if err := awaitVisible(ctx, lock, xids); err != nil {
			return batchResult{}, err
		}
	}
	if err := r.recordFailures(ctx, lock, counted); err != nil {
		return batchResult{}, err
	}
	for _, f := range counted {
		if f.row.subject != "" {
			held[f.row.subject] = true
		}
	}
	ids := make([]int64, len(acked))
	for i, x := range acked {
		ids[i] = x.id
	}
	if res.transient != nil {
		// The session ends and restarts from the confirmed LSN: delete what was
		// acknowledged, confirm nothing.
		return res, s.hand(ctx, settled{ids: ids, xids: xids})
	}
	// Rows neither acknowledged nor failed were stopped behind a failed row of their
	// aggregate: they wait in the table.
	placed := make(map[int64]bool, len(acked)+len(failed))
	for _, x := range acked {
		placed[x.id] = true
	}
	for _, f := range failed {
		placed[f.row.id] = true
	}
	for _, x := range toPublish {
		if !placed[x.id] {
			hold = append(hold, x.id)
		}
	}
	if len(hold) > 0 {
		if err := awaitVisible(ctx, lock, xids); err != nil {
			return batchResult{}, err
		}
		if _, err := lock.Exec(ctx, `UPDATE outbox SET held = true WHERE id = ANY($1)`, hold); err != nil {
			return batchResult{}, fmt.Errorf("hold rows: %w", err)
		}
	}
	return res, s.hand(ctx, settled{ids: ids, xids: xids, end: end, chunks: len(batch)})
}

// hand passes a settled batch to the deleter (unless the deleter has stopped).
func (s *stream) hand(ctx context.Context, b settled) error {
	select {
	case s.settle <- b:
		return nil
	case <-s.deleterDone:
		return errors.New("the deleter stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deleteSettled deletes acknowledged rows batch by batch, then confirms each batch's
// end LSN: a row leaves the table before Postgres may forget its transaction.
func (r *Relay) deleteSettled(ctx context.Context, s *stream) error {
	for {
		var b settled
		select {
		case <-ctx.Done():
			return nil
		case b = <-s.settle:
		}
		if len(b.ids) > 0 {
			if r.cfg.BeforeDelete != nil {
				if err := r.cfg.BeforeDelete(b.ids); err != nil {
					return errors.Join(errAborted, err)
				}
			}
			tag, err := r.pool.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1)`, b.ids)
			if err != nil {
				return fmt.Errorf("delete published: %w", err)
			}
			if int(tag.RowsAffected()) < len(b.ids) {
				// Some rows were not visible yet: the WAL sender may decode a commit the
				// moment it is flushed, before the transaction is visible to others.
				// Once it is, delete again (rows already gone were deleted by an
				// earlier leader after their publish).
				if err := awaitVisible(ctx, r.pool, b.xids); err != nil {
					return err
				}
				if _, err := r.pool.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1)`, b.ids); err != nil {
					return fmt.Errorf("delete published: %w", err)
				}
			}
			r.m.published.Add(float64(len(b.ids)))
		}
		r.log.Debug("stream batch settled", "deleted", len(b.ids), "end", b.end)
		if b.end > pglogrepl.LSN(s.confirmed.Load()) {
			s.confirmed.Store(uint64(b.end))
		}
		s.done.Add(int64(b.chunks))
	}
}

// heldSubjects lists the aggregates whose new rows must wait in the table: those with
// held rows, and those parked behind an unresolved dead letter.
func (r *Relay) heldSubjects(ctx context.Context, lock *pgx.Conn) (map[string]bool, error) {
	rows, err := lock.Query(ctx, `SELECT DISTINCT subject FROM outbox WHERE held AND subject <> ''
		UNION SELECT subject FROM outbox_dead_letter WHERE resolved_at IS NULL AND subject <> ''`)
	if err != nil {
		return nil, fmt.Errorf("held aggregates: %w", err)
	}
	subjects, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("held aggregates: %w", err)
	}
	held := make(map[string]bool, len(subjects))
	for _, s := range subjects {
		held[s] = true
	}
	return held, nil
}

// sweepHeld publishes the held rows that are due, with the polling source's code, then
// reads the held aggregates again. It runs between stream batches on the leader's
// goroutine, so no stream row of an aggregate can overtake its held rows.
func (r *Relay) sweepHeld(ctx context.Context, lock *pgx.Conn) (map[string]bool, error) {
	for {
		res, err := r.relayBatch(ctx, lock, true)
		if err != nil {
			return nil, err
		}
		if res.transient != nil {
			r.transient.Failed(res.reason, res.transient)
			break // the stream meets the same fault and backs off
		}
		if res.claimed < r.cfg.BatchSize {
			break
		}
	}
	return r.heldSubjects(ctx, lock)
}

// read receives the replication stream, decodes the outbox inserts and hands them over
// in transaction chunks. It owns the replication connection: it also reports the
// confirmed LSN (every second, and when Postgres asks), and when nothing it handed
// over is pending it confirms the server's position from keepalives, so an idle slot
// does not hold WAL back.
func (r *Relay) read(ctx context.Context, repl *pgconn.PgConn, s *stream) error {
	var (
		dec        decoder
		cur        chunk
		inTxn      bool
		xid        uint32
		reported   pglogrepl.LSN
		lastReport time.Time
		deadline   = deadlines{parent: ctx}
	)
	defer deadline.stop()
	report := func() error {
		pos := pglogrepl.LSN(s.confirmed.Load())
		if err := pglogrepl.SendStandbyStatusUpdate(ctx, repl, pglogrepl.StandbyStatusUpdate{WALWritePosition: pos}); err != nil {
			return fmt.Errorf("standby status: %w", err)
		}
		reported, lastReport = pos, time.Now()
		return nil
	}
	push := func(c chunk) error {
		select {
		case s.chunks <- c:
			s.pushed.Add(1)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		// Report every second, and within 100 ms of a new confirmed position.
		due := lastReport.Add(statusInterval)
		if pglogrepl.LSN(s.confirmed.Load()) != reported {
			due = lastReport.Add(100 * time.Millisecond)
		}
		if !time.Now().Before(due) {
			if err := report(); err != nil {
				return err
			}
			continue
		}
		raw, err := repl.ReceiveMessage(deadline.until(due))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("replication receive: %w", err)
		}
		switch m := raw.(type) {
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("replication: %w", pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyData:
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				k, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return err
				}
				if !inTxn && len(s.chunks) == 0 && s.pushed.Load() == s.done.Load() && uint64(k.ServerWALEnd) > s.confirmed.Load() {
					s.confirmed.Store(uint64(k.ServerWALEnd))
				}
				if k.ReplyRequested {
					if err := report(); err != nil {
						return err
					}
				}
			case pglogrepl.XLogDataByteID:
				x, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return err
				}
				msg, err := pglogrepl.Parse(x.WALData)
				if err != nil {
					return fmt.Errorf("decode pgoutput: %w", err)
				}
				switch m := msg.(type) {
				case *pglogrepl.RelationMessage:
					if err := dec.relation(m); err != nil {
						return err
					}
				case *pglogrepl.BeginMessage:
					inTxn = true
					xid = m.Xid
					cur = chunk{xid: xid}
				case *pglogrepl.InsertMessage:
					x, err := dec.insert(m)
					if err != nil {
						return err
					}
					cur.rows = append(cur.rows, x)
					if len(cur.rows) >= r.cfg.BatchSize {
						if err := push(cur); err != nil {
							return err
						}
						cur = chunk{xid: xid}
					}
				case *pglogrepl.CommitMessage:
					r.log.Debug("transaction received", "end", m.TransactionEndLSN, "rows", len(cur.rows))
					inTxn = false
					cur.end = m.TransactionEndLSN
					if err := push(cur); err != nil {
						return err
					}
					cur = chunk{}
				}
			}
		}
	}
}

// deadlines hands out one deadline context per reporting period instead of one per
// received message.
type deadlines struct {
	parent context.Context
	ctx    context.Context
	due    time.Time
	cancel context.CancelFunc
}

func (d *deadlines) until(due time.Time) context.Context {
	if d.ctx == nil || !d.due.Equal(due) {
		d.stop()
		d.ctx, d.cancel = context.WithDeadline(d.parent, due)
		d.due = due
	}
	return d.ctx
}

func (d *deadlines) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// decoder turns pgoutput inserts of the outbox table into rows. The stream is in
// pgoutput's binary format (each column in its type's send format: no text rendering of
// timestamps, no hex of payloads, on either side).
type decoder struct {
	// cols maps a relation's column names to positions (the table may gain columns),
	// and checks the types of the columns read.
	cols map[uint32]map[string]int
}

// outboxColumns are the columns the relay reads, with their type OIDs.
var outboxColumns = map[string]uint32{
	"id": pgtype.Int8OID, "event_id": pgtype.UUIDOID, "event_type": pgtype.TextOID, "source": pgtype.TextOID,
	"subject": pgtype.TextOID, "seq": pgtype.Int8OID, "occurred_at": pgtype.TimestamptzOID,
	"payload": pgtype.ByteaOID, "created_at": pgtype.TimestamptzOID, "held": pgtype.BoolOID,
	"actor": pgtype.TextOID,
}

// optionalColumns may be missing from a relation: the stream can still hold rows
// written before the migration that added them.
var optionalColumns = map[string]bool{"actor": true}

func (d *decoder) relation(m *pglogrepl.RelationMessage) error {
	if d.cols == nil {
		d.cols = map[uint32]map[string]int{}
	}
	cols := make(map[string]int, len(m.Columns))
	for i, c := range m.Columns {
		if oid, ok := outboxColumns[c.Name]; ok && c.DataType != oid {
			return fmt.Errorf("outbox column %s has type %d, want %d", c.Name, c.DataType, oid)
		}
		cols[c.Name] = i
	}
	for name := range outboxColumns {
		if _, ok := cols[name]; !ok && !optionalColumns[name] {
			return fmt.Errorf("relation %s.%s has no column %s", m.Namespace, m.RelationName, name)
		}
	}
	d.cols[m.RelationID] = cols
	return nil
}

// pgEpoch is the zero of Postgres's binary timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (d *decoder) insert(m *pglogrepl.InsertMessage) (row, error) {
	cols, ok := d.cols[m.RelationID]
	if !ok {
		return row{}, fmt.Errorf("insert into unknown relation %d", m.RelationID)
	}
	var err error
	col := func(name string, size int) []byte {
		i := cols[name]
		if i >= len(m.Tuple.Columns) {
			err = fmt.Errorf("outbox insert: column %s missing", name)
			return nil
		}
		c := m.Tuple.Columns[i]
		if c.DataType != pglogrepl.TupleDataTypeBinary || (size >= 0 && len(c.Data) != size) {
			if err == nil {
				err = fmt.Errorf("outbox insert: column %s: kind %q, %d bytes", name, c.DataType, len(c.Data))
			}
			return make([]byte, max(size, 0))
		}
		return c.Data
	}
	i64 := func(name string) int64 { return int64(binary.BigEndian.Uint64(col(name, 8))) }
	ts := func(name string) time.Time { return pgEpoch.Add(time.Duration(i64(name)) * time.Microsecond) }
	x := row{id: i64("id"), seq: i64("seq"), typ: string(col("event_type", -1)), source: string(col("source", -1)),
		subject: string(col("subject", -1)), occurred: ts("occurred_at"), createdAt: ts("created_at"),
		payload: col("payload", -1), held: col("held", 1)[0] == 1}
	if _, ok := cols["actor"]; ok {
		x.actor = string(col("actor", -1))
	}
	copy(x.eventID[:], col("event_id", 16))
	if err != nil {
		return row{}, err
	}
	return x, nil
}

// Prepare creates the publication and the replication slot of the log source now, under
// the leader lock, instead of at the first leadership term: events committed from then
// on are in the slot's stream even before any relay runs. It does nothing when the
// relay would poll.
func (r *Relay) Prepare(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, r.lockKey()); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	// Released explicitly: a closed session's locks go a moment after the client does,
	// and a relay starting right after Prepare would find the lock still taken.
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, r.lockKey()) // the session closes next anyway
	}()
	src, err := r.chooseSource(ctx, conn)
	if err != nil || src != SourceLog {
		return err
	}
	var db string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return err
	}
	if err := r.ensurePublication(ctx, conn); err != nil {
		return err
	}
	repl, err := r.connectReplication(ctx)
	if err != nil {
		return err
	}
	defer repl.Close(context.WithoutCancel(ctx))
	return r.ensureSlot(ctx, conn, repl, SlotName(r.cfg.Schema, db))
}

// querier is what awaitVisible needs of a connection or pool.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// awaitVisible waits until the transactions xids (32-bit, as decoded) are visible to new
// snapshots. A commit is decoded as soon as its WAL record is flushed, a moment before
// the committing backend leaves the proc array; a statement in that moment would not
// see the transaction's rows. The 32-bit xid is widened against the snapshot's xmax
// (the nearest 64-bit xid within 2^31), then tested with pg_visible_in_snapshot.
func awaitVisible(ctx context.Context, db querier, xids []uint32) error {
	if len(xids) == 0 {
		return nil
	}
	wide := make([]int64, len(xids))
	for i, x := range xids {
		wide[i] = int64(x)
	}
	for pause := 100 * time.Microsecond; ; pause = min(2*pause, 50*time.Millisecond) {
		var visible bool
		err := db.QueryRow(ctx, `WITH s AS (SELECT pg_current_snapshot() AS snap),
				x AS (SELECT snap, pg_snapshot_xmax(snap)::text::bigint AS xmax FROM s)
			SELECT bool_and(pg_visible_in_snapshot(
				(xmax + (((t - (xmax & 4294967295) + 2147483648) % 4294967296 + 4294967296) % 4294967296 - 2147483648))::text::xid8,
				snap))
			FROM x, unnest($1::bigint[]) t`, wide).Scan(&visible)
		if err != nil {
			return fmt.Errorf("await visibility: %w", err)
		}
		if visible {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}
