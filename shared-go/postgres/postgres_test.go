package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

var migrations = fstest.MapFS{
	"00001_things.sql": {Data: []byte("-- +goose Up\nCREATE TABLE things (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE things;\n")},
}

func TestMigrateIsIdempotentUnderConcurrentStarts(t *testing.T) {
	t.Parallel()
	url := testutil.Database(t)
	pool := testutil.Pool(t, url, "ctx_a")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- postgres.Migrate(context.Background(), pool, "ctx_a", "main", migrations) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM ctx_a.things`).Scan(&n); err != nil {
		t.Fatalf("table not in the context's schema: %v", err)
	}
	// Another context in the same database gets its own tables and version table.
	other := testutil.Pool(t, url, "ctx_b")
	if err := postgres.Migrate(context.Background(), other, "ctx_b", "main", migrations); err != nil {
		t.Fatal(err)
	}
	if err := other.QueryRow(context.Background(), `SELECT count(*) FROM ctx_b.things`).Scan(&n); err != nil {
		t.Fatal(err)
	}
}

func TestWithTxCommitsRollsBackAndReportsCommitErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), "txtest")
	if err := postgres.Migrate(ctx, pool, "txtest", "main", migrations); err != nil {
		t.Fatal(err)
	}
	if err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO things VALUES (1)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO things VALUES (2)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	// A deferred constraint fails only at COMMIT: the error must surface.
	if _, err := pool.Exec(ctx, `CREATE TABLE deferred (id int, CONSTRAINT u UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	err = postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO deferred VALUES (1), (1)`)
		return err
	})
	if !postgres.IsUniqueViolation(err) {
		t.Fatalf("commit error = %v, want the unique violation raised at commit", err)
	}
	var ids []int
	rows, _ := pool.Query(ctx, `SELECT id FROM things ORDER BY id`)
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("things = %v, %v; want only the committed row", ids, err)
	}
}
