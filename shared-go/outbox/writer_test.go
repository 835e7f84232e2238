package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
)

// A caller's statements and the outbox rows queued into one batch commit together or
// not at all: a pool's SendBatch runs them as one implicit transaction.
func TestWriterQueueCommitsWithTheCallersStatementsOrNotAtAll(t *testing.T) {
	t.Parallel()
	e := setup(t, outbox.SourcePoll)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `CREATE TABLE things (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	ev := func(n int) events.Envelope {
		t.Helper()
		e, err := events.New("pitstop/relaytest", pinged{N: n, Agg: "thing"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	write := func(id int, evs ...events.Envelope) error {
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO things (id) VALUES ($1)`, id)
		e.w.Queue(ctx, b, evs...)
		return e.pool.SendBatch(ctx, b).Close()
	}
	first := ev(1)
	if err := write(1, first); err != nil {
		t.Fatal(err)
	}
	// The second write's outbox insert fails (the event id is taken): its thing must not stay.
	if err := write(2, ev(2), first); err == nil {
		t.Fatal("a duplicate event id was accepted")
	}
	var things, rows int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM things), (SELECT count(*) FROM outbox)`).Scan(&things, &rows); err != nil {
		t.Fatal(err)
	}
	if things != 1 || rows != 1 {
		t.Fatalf("after one good and one failed write: %d things, %d outbox rows; want 1 and 1", things, rows)
	}
}
