package adapters_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/auditlog/internal/adapters"
	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "auditlog"

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	if err := adapters.Migrate(context.Background(), pool, schema); err != nil {
		t.Fatal(err)
	}
	// Migrating again is a no-op.
	if err := adapters.Migrate(context.Background(), pool, schema); err != nil {
		t.Fatal(err)
	}
	return pool
}

func newEntry(t *testing.T, data string) domain.Entry {
	t.Helper()
	e, err := domain.NewEntry(domain.EntryInput{EventID: uuid.New(), Type: "pitstop.customers.CustomerRegistered",
		Subject: "c-1", Source: "pitstop/customers", Time: time.Now(), Data: json.RawMessage(data)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func record(ctx context.Context, pool *pgxpool.Pool, e domain.Entry) (created bool, err error) {
	err = postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		created, err = adapters.NewEntryTxStore(tx).Record(ctx, e)
		return err
	})
	return created, err
}

// TestRecordStoresAnEventOnce is the table's own guarantee, independent of the inbox:
// the second Record of an event id stores nothing and says so.
func TestRecordStoresAnEventOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	repo := adapters.NewEntryPostgresRepository(pool)
	e := newEntry(t, `{"n":1}`)
	for i, want := range []bool{true, false} {
		created, err := record(ctx, pool, e)
		if err != nil {
			t.Fatal(err)
		}
		if created != want {
			t.Errorf("record #%d: created = %v, want %v", i+1, created, want)
		}
	}
	got, err := repo.Get(ctx, e.EventID())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Entry.Time().Equal(e.Time()) || got.Entry.Time().Format(time.RFC3339Nano) != e.Time().Format(time.RFC3339Nano) {
		t.Errorf("time = %s, want %s", got.Entry.Time().Format(time.RFC3339Nano), e.Time().Format(time.RFC3339Nano))
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_entries`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows = %d (%v), want 1", n, err)
	}
	if _, err := repo.Get(ctx, uuid.New()); !errors.Is(err, domain.ErrEntryNotFound) {
		t.Errorf("get unknown: %v, want ErrEntryNotFound", err)
	}
}

// TestRecordRejectsDataPostgresCannotStore checks that data jsonb refuses is reported
// as an invalid entry (permanent), not as a transient failure.
func TestRecordRejectsDataPostgresCannotStore(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	_, err := record(context.Background(), pool, newEntry(t, `{"name":"a\u0000b"}`))
	if !errors.Is(err, domain.ErrInvalidEntry) {
		t.Fatalf("record: %v, want ErrInvalidEntry", err)
	}
}

// TestEntriesBecomeVisibleInSeqOrder runs two recording transactions at once: the
// second must wait for the first to end, so that a reader can never see a later seq
// before an earlier one (and skip the earlier one with its cursor).
func TestEntriesBecomeVisibleInSeqOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	first, second := newEntry(t, `{"n":1}`), newEntry(t, `{"n":2}`)

	tx1, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx1.Rollback(ctx) }()
	if _, err := adapters.NewEntryTxStore(tx1).Record(ctx, first); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := record(ctx, pool, second)
		done <- err
	}()
	// The second recorder must be waiting for the first transaction's lock.
	testutil.Eventually(t, 10*time.Second, func() bool {
		var waiting int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting == 1
	}, "the second recording transaction never waited for the first")
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	repo := adapters.NewEntryPostgresRepository(pool)
	rows, err := repo.List(ctx, domain.Filter{}, domain.ByRecording, application.Position{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Entry.EventID() != first.EventID() || rows[0].Seq >= rows[1].Seq {
		t.Errorf("entries out of order: %+v", rows)
	}
}
