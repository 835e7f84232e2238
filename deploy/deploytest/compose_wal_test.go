package deploytest

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
)

// The relays of compose tail the write-ahead log (ADR 0006): Postgres must run with
// wal_level=logical and a replication slot and WAL sender for every publishing context
// (a relay falls back to polling otherwise, which works but is not what compose is for).
func TestComposePostgresRunsWithLogicalWAL(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	pg, ok := p.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	settings := map[string]string{}
	cmd := []string(pg.Command)
	for i, a := range cmd {
		if a == "-c" && i+1 < len(cmd) {
			k, v, _ := strings.Cut(cmd[i+1], "=")
			settings[k] = v
		}
	}
	if settings["wal_level"] != "logical" {
		t.Errorf("postgres command %v: wal_level=%q, want logical", cmd, settings["wal_level"])
	}
	publishing := 0
	for _, c := range system.Contexts(system.ContextOptions{}) {
		if c.Publishes {
			publishing++
		}
	}
	for _, k := range []string{"max_replication_slots", "max_wal_senders"} {
		n, err := strconv.Atoi(settings[k])
		if err != nil || n < publishing {
			t.Errorf("postgres command %v: %s=%q, want at least %d (one per publishing context)", cmd, k, settings[k], publishing)
		}
	}
	if !slices.Contains(cmd, "postgres") {
		t.Errorf("postgres command %v does not start postgres", cmd)
	}
}
