// Package postgres holds Pitstop's Postgres plumbing: a pgx pool bound to one
// context's schema, embedded SQL migrations run by goose, and a transaction helper.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ParseConfig parses url into a pool configuration whose connections all use schema
// (search_path) so that a context's SQL never names its schema.
func ParseConfig(url, schema string) (*pgxpool.Config, error) {
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("invalid schema name %q", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "pitstop-" + schema
	}
	return cfg, nil
}

// MigrationsDir is the migrations directory of an embedded file system: every package
// with tables embeds its SQL as migrations/*.sql and migrates with
// Migrate(ctx, pool, schema, set, MigrationsDir(migrations)).
func MigrationsDir(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid path, and this one is fixed
	}
	return sub
}

// Connect creates schema if needed and returns a pool whose search_path is schema.
func Connect(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	cfg, err := ParseConfig(url, schema)
	if err != nil {
		return nil, err
	}
	return ConnectConfig(ctx, cfg, schema)
}

// ConnectConfig is Connect with a prepared pool configuration.
func ConnectConfig(ctx context.Context, cfg *pgxpool.Config, schema string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	// Creating a schema concurrently from two processes can race on the catalog; the
	// advisory lock serialises it.
	err = WithTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('pitstop-create-schema'))`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	return pool, nil
}

// Migrate applies the embedded goose migrations in fsys (SQL files at its root) to the
// pool's schema. Each migration set has its own version table, <schema>.goose_<set>,
// so shared sets (outbox, inbox) and a context's own set version independently.
// Concurrent starts are serialised with a Postgres advisory lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema, set string, fsys fs.FS) error {
	if !schemaName.MatchString(schema) || !schemaName.MatchString(set) {
		return fmt.Errorf("invalid schema %q or set %q", schema, set)
	}
	// Migrations get their own connections, not the pool's: callers may hold pool
	// connections while they wait for the migration lock.
	db := stdlib.OpenDB(*pool.Config().ConnConfig.Copy())
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s/%s: %w", schema, set, err)
	}
	defer conn.Close()
	lockKey := "pitstop-migrate-" + schema + "-" + set
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext($1))`, lockKey); err != nil {
		return fmt.Errorf("migrate lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, lockKey)
	}()
	store, err := database.NewStore(database.DialectPostgres, schema+".goose_"+set)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider("", db, fsys, goose.WithStore(store), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate %s/%s: %w", schema, set, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s/%s: %w", schema, set, err)
	}
	return nil
}

// DB is what WithTx needs: a pool or a connection.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// WithTx runs fn in a transaction: it commits when fn returns nil and rolls back
// otherwise. A Commit error is always returned (never swallowed), wrapped so that
// errors.Is still sees the cause.
func WithTx(ctx context.Context, db DB, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SQLState codes Pitstop translates at its ports.
const (
	UniqueViolation = "23505"
)

// IsCode reports whether err is (or wraps) a Postgres error with the given SQLSTATE.
func IsCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool { return IsCode(err, UniqueViolation) }

// Ping checks that the pool can run a query; used by /readyz.
func Ping(pool *pgxpool.Pool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var one int
		return pool.QueryRow(ctx, `SELECT 1`).Scan(&one)
	}
}
