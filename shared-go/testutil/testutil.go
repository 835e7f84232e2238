// Package testutil gives tests real infrastructure: a fresh Postgres database per test
// (dropped afterwards) and an in-process NATS JetStream server per test.
package testutil

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/postgres"
)

// AdminURL is the Postgres URL used to create and drop test databases: the
// PITSTOP_TEST_DATABASE_URL environment variable, or the local trust-auth server.
func AdminURL() string {
	if u := os.Getenv("PITSTOP_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Database creates an empty database for t and returns its URL; it is dropped (with
// FORCE, so leftover connections cannot keep it alive) when t ends.
func Database(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "pitstop_test_" + strings.ReplaceAll(uuid.NewString()[:18], "-", "")
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("connect to postgres (is it running? see README): %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if err := dropSlots(c, name); err != nil {
			t.Errorf("drop replication slots of %s: %v", name, err)
		}
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// dropSlots drops the replication slots of database db (a slot keeps its database, and
// WAL, alive): their WAL senders are terminated first, then the slots are dropped as
// soon as they are released.
func dropSlots(c *pgx.Conn, db string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if _, err := c.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
			WHERE database = $1 AND active_pid IS NOT NULL`, db); err != nil {
			return err
		}
		var left int
		err := c.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_drop_replication_slot(slot_name)
			FROM pg_replication_slots WHERE database = $1 AND NOT active) d`, db).Scan(&left)
		if err == nil {
			if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE database = $1`, db).Scan(&left); err != nil {
				return err
			}
			if left == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("slots still in use: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// RequireLogicalWAL fails t unless the server of dbURL runs with wal_level=logical, as
// the log-based relay source needs (.ci/run sets it; see README, "Running the tests").
func RequireLogicalWAL(t testing.TB, dbURL string) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var level string
	if err := c.QueryRow(context.Background(), `SHOW wal_level`).Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "logical" {
		t.Fatalf("PostgreSQL runs with wal_level=%s; the log-based relay needs logical: run .ci/run once, "+
			"or ALTER SYSTEM SET wal_level = logical and restart PostgreSQL", level)
	}
}

// Pool connects to dbURL with schema as search_path (creating it) and closes the pool
// when t ends.
func Pool(t testing.TB, dbURL, schema string) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Connect(context.Background(), dbURL, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NATSServer is an in-process JetStream server that a test can stop and restart on the
// same port and storage to simulate a broker crash.
type NATSServer struct {
	t    testing.TB
	opts *server.Options
	Srv  *server.Server
}

// StartNATS starts an in-process JetStream server with file storage in a temp dir.
func StartNATS(t testing.TB) *NATSServer {
	t.Helper()
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
	}
	n := &NATSServer{t: t, opts: opts}
	n.start()
	// Keep the port for restarts.
	n.opts.Port = portOf(n.Srv.ClientURL())
	t.Cleanup(n.Shutdown)
	return n
}

func portOf(clientURL string) int {
	u, _ := url.Parse(clientURL)
	var p int
	_, _ = fmt.Sscan(u.Port(), &p)
	return p
}

func (n *NATSServer) start() {
	n.t.Helper()
	s, err := server.NewServer(n.opts)
	if err != nil {
		n.t.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		n.t.Fatal("nats server not ready")
	}
	n.Srv = s
}

// URL is the client URL.
func (n *NATSServer) URL() string { return n.Srv.ClientURL() }

// Shutdown stops the server (idempotent).
func (n *NATSServer) Shutdown() {
	if n.Srv != nil {
		n.Srv.Shutdown()
		n.Srv.WaitForShutdown()
	}
}

// Restart stops the server and starts it again on the same port and storage.
func (n *NATSServer) Restart() {
	n.t.Helper()
	n.Shutdown()
	n.start()
}

// Connect opens a client connection that reconnects forever and is closed when t ends.
func (n *NATSServer) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return connectNATS(t, n.URL())
}

// connectNATS connects to urls (comma-separated), reconnecting forever; closed when t ends.
func connectNATS(t testing.TB, urls string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// SyncBuffer is a log destination that background goroutines and a test share.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a logger that writes to stderr when PITSTOP_TEST_LOG=1 is set and
// discards otherwise. (Not t.Log: background goroutines may log after the test ends.)
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("PITSTOP_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Eventually polls cond every 10ms until it returns true or timeout passes, then fails
// the test with msg. It is the only way tests wait: never a bare sleep.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
