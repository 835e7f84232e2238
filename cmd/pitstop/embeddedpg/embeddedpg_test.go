package embeddedpg_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/cmd/pitstop/embeddedpg"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The cluster is created on first start, keeps its data across a clean stop and a
// crash (SIGKILL of the postmaster), and starts again without any clean-up.
func TestClusterSurvivesRestartAndCrash(t *testing.T) {
	if _, err := embeddedpg.FindBinDir(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "pg")
	c, err := embeddedpg.New(dir, freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM kept`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec(`CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)`)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	exec(`INSERT INTO kept VALUES (2)`)
	// Crash: kill the postmaster outright.
	raw, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(raw[:indexByte(raw, '\n')]))
	p, _ := os.FindProcess(pid)
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.Signal(syscall.Signal(0)) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling for the process to be gone
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start after crash: %v", err)
	}
	if got := count(); got != 2 {
		t.Fatalf("rows after crash = %d, want 2", got)
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return len(b)
}

// show reads server settings of the cluster.
func show(t *testing.T, c *embeddedpg.Cluster, names ...string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	out := make([]string, len(names))
	for i, n := range names {
		if err := conn.QueryRow(ctx, `SELECT current_setting($1)`, n).Scan(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The cluster runs with wal_level=logical (the relays' replication slots work) unless a
// test asks for other settings; a cluster left running with other settings, as an older
// version ran it, is restarted with the defaults and keeps its data.
func TestClusterRunsWithLogicalWALUnlessToldOtherwise(t *testing.T) {
	if _, err := embeddedpg.FindBinDir(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "pg with space")
	c, err := embeddedpg.New(dir, freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	c.Settings = map[string]string{"wal_level": "replica", "max_wal_senders": "5", "application_name": "it's quoted"}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if got := show(t, c, "wal_level", "max_wal_senders", "max_replication_slots", "application_name"); got[0] != "replica" ||
		got[1] != "5" || got[2] != "64" || got[3] != "it's quoted" {
		t.Fatalf("with Settings: wal_level, max_wal_senders, max_replication_slots, application_name = %q, want replica, 5, 64, it's quoted", got)
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	// An embedded cluster as today's pitstop starts it, over the running one.
	d, err := embeddedpg.New(dir, c.Port)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := show(t, d, "wal_level", "max_wal_senders", "max_replication_slots"); got[0] != "logical" || got[1] != "64" || got[2] != "64" {
		t.Fatalf("defaults: wal_level, max_wal_senders, max_replication_slots = %q, want logical, 64, 64", got)
	}
	conn, err = pgx.Connect(ctx, d.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var kept int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM kept`).Scan(&kept); err != nil || kept != 1 {
		t.Fatalf("rows after the restart: %d (%v)", kept, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_create_logical_replication_slot('embedded_test', 'pgoutput')`); err != nil {
		t.Fatalf("logical slot: %v", err)
	}
	// Starting again with the same settings is a no-op: the session survives.
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("a second Start restarted the cluster: %v", err)
	}
}
