// Package outbox is Pitstop's transactional outbox: Writer adds events to the outbox
// table inside the caller's transaction, and Relay (the engine of every cmd/cdc)
// publishes committed rows to NATS JetStream, at least once, then removes them.
//
// Guarantees:
//   - An event is in the outbox if and only if the transaction that caused it committed.
//   - Every committed row is eventually published (at least once) while a relay runs;
//     rows of transactions that commit late are never skipped. The log source (ADR
//     0006) reads the outbox's inserts from a logical replication slot in commit order
//     and confirms a transaction to the slot only after its rows were acknowledged and
//     deleted (or marked held, to be published from the table); the polling source
//     keeps no cursor: it reads whatever is in the table, in id order, and deletes what
//     was acknowledged.
//   - Nats-Msg-Id is the event id, so re-publishing after a crash is absorbed by the
//     stream's duplicate window; consumers de-duplicate beyond it (their inbox table).
//   - One relay per outbox is active at a time (Postgres advisory lock); others wait.
package outbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the outbox tables' SQL migrations.
func Migrations() fs.FS { return postgres.MigrationsDir(migrations) }

// Migrate creates or upgrades the outbox tables in the pool's schema.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "outbox", Migrations())
}

// Channel is the LISTEN/NOTIFY channel of the outbox in schema.
func Channel(schema string) string { return "pitstop_outbox_" + schema }

// Writer appends events to the outbox of one schema.
type Writer struct {
	channel string
}

// NewWriter returns a writer for the outbox in schema (the caller's transaction must
// use that schema's search_path, as pools from postgres.Connect do).
func NewWriter(schema string) *Writer {
	return &Writer{channel: Channel(schema)}
}

// Add inserts the events into the outbox inside tx. While the leading relay tails the
// write-ahead log (outbox_relay.source = 'log') that is all: the relay reads the insert
// from its replication slot. Otherwise (a relay polling the table) it also queues a
// notification that Postgres delivers to the relay on commit (and never, if tx rolls
// back); a transaction that notifies takes Postgres's cluster-wide NOTIFY lock at
// commit, which is why the log source spares writers the call. (The check reads a
// one-row table: asking pg_replication_slots instead cost a third of the insert rate.)
//
// Each event with an aggregate (Subject) gets its per-aggregate sequence number here,
// unless the producer set Seq itself (an event-sourced aggregate's version): the next
// value of the aggregate's counter, taken under a row lock held until commit, so two
// transactions writing one aggregate commit in sequence order. Events of one call are
// numbered in argument order. All of it is one round trip.
func (w *Writer) Add(ctx context.Context, tx pgx.Tx, evs ...events.Envelope) error {
	if len(evs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	w.Queue(ctx, b, evs...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("outbox add: %w", err)
	}
	return nil
}

// Queue appends what Add does to b, for a caller that sends its own statements and the
// outbox's in one round trip. b must run in one transaction: inside tx.SendBatch, or as
// a pool's or connection's SendBatch, which runs a batch without transaction control
// statements as one implicit transaction.
func (w *Writer) Queue(ctx context.Context, b *pgx.Batch, evs ...events.Envelope) {
	if len(evs) == 0 {
		return
	}
	actor := events.ActorFrom(ctx)
	for _, e := range evs {
		if e.Actor == "" {
			e.Actor = actor
		}
		if e.Subject == "" || e.Seq > 0 {
			b.Queue(`INSERT INTO outbox (event_id, event_type, source, subject, occurred_at, payload, seq, actor)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, e.Type, e.Source, e.Subject, e.Time, []byte(e.Data), e.Seq, e.Actor)
			continue
		}
		b.Queue(`WITH next AS (
				INSERT INTO outbox_sequence AS s (subject, seq) VALUES ($4, 1)
				ON CONFLICT (subject) DO UPDATE SET seq = s.seq + 1
				RETURNING seq)
			INSERT INTO outbox (event_id, event_type, source, subject, occurred_at, payload, seq, actor)
			SELECT $1, $2, $3, $4, $5, $6, next.seq, $7 FROM next`,
			e.ID, e.Type, e.Source, e.Subject, e.Time, []byte(e.Data), e.Actor)
	}
	b.Queue(`SELECT pg_notify($1, '') WHERE NOT EXISTS (SELECT 1 FROM outbox_relay WHERE source = 'log')`, w.channel)
}
