// Package embeddedpg runs a private PostgreSQL cluster for the all-in-one from the
// machine's own PostgreSQL binaries (found on PATH or under /usr/lib/postgresql): it
// initialises the cluster in a data directory on first use, starts it on a loopback
// port with its socket inside the data directory, and stops it on shutdown. A cluster
// left running or crashed by an earlier run is recovered without manual clean-up.
//
// The server runs with DefaultSettings (wal_level=logical, so that the outbox relays
// tail the write-ahead log, ADR 0006), given as -c options at every start: a cluster
// initialised by an older version gets them too, and one left running with other
// values is restarted with them.
package embeddedpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a PostgreSQL cluster in a data directory.
type Cluster struct {
	Dir  string // the cluster's data directory
	Port int
	// Settings are server settings (name → value) applied at start on top of
	// DefaultSettings, e.g. {"wal_level": "replica"} for a test of the relay's fallback
	// to polling. Set them before Start.
	Settings map[string]string
	binDir   string
	cred     *syscall.Credential
}

// DefaultSettings are the server settings every start applies: logical decoding for the
// outbox relays' replication slots (one slot and one WAL sender per context, with room
// for standbys and tools).
func DefaultSettings() map[string]string {
	return map[string]string{"wal_level": "logical", "max_replication_slots": "64", "max_wal_senders": "64"}
}

var settingName = regexp.MustCompile(`^[a-z_][a-z0-9_.]*$`)

// settings merges DefaultSettings and c.Settings.
func (c *Cluster) settings() (map[string]string, error) {
	out := DefaultSettings()
	for k, v := range c.Settings {
		if !settingName.MatchString(k) {
			return nil, fmt.Errorf("embedded postgres: %q is not a setting name", k)
		}
		out[k] = v
	}
	return out, nil
}

// shellQuote quotes s for the shell that pg_ctl runs postgres with.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// FindBinDir returns the directory holding initdb and pg_ctl: the one on PATH, or the
// newest /usr/lib/postgresql/<version>/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL binaries found (install postgresql, or set DATABASE_URL)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// New prepares a cluster in dir on port. When the process runs as root, PostgreSQL
// (which refuses to run as root) runs as the "postgres" user, which then owns dir.
func New(dir string, port int) (*Cluster, error) {
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, Port: port, binDir: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a 'postgres' user to run the cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return c, nil
}

// URL is the connection URL of database db on the cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	cmd.Dir = "/"
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// Start initialises the cluster if needed, then starts it (or finds it already running)
// and waits until it accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	if c.cred != nil {
		if err := os.Chown(c.Dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
		// The postgres user must be able to reach the data directory.
		for d := filepath.Dir(c.Dir); d != "/"; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				_ = os.Chmod(d, fi.Mode().Perm()|0o011)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.run(ctx, "initdb", "-D", c.Dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions"); err != nil {
			return err
		}
	}
	settings, err := c.settings()
	if err != nil {
		return err
	}
	if c.ready(ctx) {
		// Left running by an earlier run, perhaps by an older version with other
		// settings: these need a restart.
		same, err := c.runsWith(ctx, settings)
		if err != nil || same {
			return err
		}
		if err := c.Stop(ctx); err != nil {
			return fmt.Errorf("restart embedded postgres with %v: %w", settings, err)
		}
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on", c.Port, shellQuote(c.Dir))
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		opts += " -c " + k + "=" + shellQuote(settings[k])
	}
	// A crash leaves postmaster.pid behind; PostgreSQL itself checks whether its pid is
	// alive and ignores a stale file, so no clean-up is needed here.
	// After a crash, orphaned backends may hold the old shared memory for a moment
	// ("pre-existing shared memory block is still in use"): retry until they are gone.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.Dir, "-o", opts, "-l", filepath.Join(c.Dir, "server.log"))
		if err == nil || c.ready(ctx) {
			break
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	for !c.ready(ctx) {
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded postgres on port %d did not accept connections; see %s", c.Port, filepath.Join(c.Dir, "server.log"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// runsWith reports whether the running server has settings (compared as SHOW prints
// them, case-insensitively).
func (c *Cluster) runsWith(ctx context.Context, settings map[string]string) (bool, error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for k, want := range settings {
		var got string
		if err := conn.QueryRow(ctx, `SELECT current_setting($1)`, k).Scan(&got); err != nil {
			return false, fmt.Errorf("embedded postgres: setting %s: %w", k, err)
		}
		if !strings.EqualFold(got, want) {
			return false, nil
		}
	}
	return true, nil
}

func (c *Cluster) ready(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, c.URL("postgres"))
	if err != nil {
		return false
	}
	_ = conn.Close(cctx)
	return true
}

// Stop shuts the cluster down (fast mode: running transactions are rolled back).
func (c *Cluster) Stop(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.Dir)
}
