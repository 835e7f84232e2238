package admincli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

func TestSlotsCommands(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	testutil.RequireLogicalWAL(t, e.db)
	var db string
	if err := e.customer.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	slot, tool := outbox.SlotName(customers.Schema, db), "tool_"+db

	if out := e.ok("slots", "list"); !strings.Contains(out, "No logical replication slots") {
		t.Fatalf("slots list without slots:\n%s", out)
	}
	// The customers relay's slot, created and adopted but not read, and another program's.
	relay, err := outbox.NewRelay(e.customer, e.nc, outbox.RelayConfig{Schema: customers.Schema, PollInterval: 20 * time.Millisecond},
		testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.customer.Exec(ctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, tool); err != nil {
		t.Fatal(err)
	}
	out := e.ok("slots", "list")
	for _, want := range []string{"SLOT", "RETAINED WAL", slot, "customers", "NO", tool, "not Pitstop's", "pgoutput", "reserved",
		"2 replication slots, 2 not read by anyone", "docs/operating.md"} {
		if !strings.Contains(out, want) {
			t.Errorf("slots list lacks %q:\n%s", want, out)
		}
	}
	if got := decode[[]admin.Slot](t, e.ok("slots", "list", "--json")); len(got) != 2 || got[0].Name != slot || got[0].Context != "customers" ||
		got[0].Active || got[1].Name != tool || got[1].Pitstop {
		t.Fatalf("slots list --json: %+v", got)
	}
	if st := decode[admin.Status](t, e.ok("status", "--json")); st.Outboxes[0].Slot == nil || st.Outboxes[0].Slot.Name != slot {
		t.Fatalf("status --json: %+v", st.Outboxes)
	}
	if out := e.ok("status"); !strings.Contains(out, "SLOT LAG / RETAINED") || !strings.Contains(out, "NOT READ") {
		t.Errorf("status table lacks the slot:\n%s", out)
	}

	e.fails(2, "slots")
	e.fails(2, "slots", "frobnicate")
	e.fails(2, "slots", "drop", "--reason", "x")
	e.fails(2, "slots", "drop", slot)
	e.fails(2, "slots", "drop", slot, tool, "--reason", "x")
	if msg := e.fails(1, "slots", "drop", "no_such_slot", "--reason", "x"); !strings.Contains(msg, "not found") {
		t.Errorf("unknown slot: %s", msg)
	}

	// The relay reads its slot: a drop needs --force.
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = relay.Run(rctx) }()
	streaming := func() (pid int) {
		_ = e.customer.QueryRow(ctx, `SELECT s.active_pid FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
			WHERE s.slot_name = $1 AND r.state = 'streaming'`, slot).Scan(&pid)
		return pid
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return streaming() != 0 }, "the relay streams from its slot")
	pid := streaming()
	if msg := e.fails(1, "slots", "drop", slot, "--reason", "stuck"); !strings.Contains(msg, "active") || !strings.Contains(msg, "force") {
		t.Errorf("drop of an active slot: %s", msg)
	}
	code, out, errOut := e.run("slots", "drop", slot, "--reason", "stuck WAL sender", "--force", "--by", "ops")
	if code != 0 {
		t.Fatalf("slots drop --force: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"terminated the WAL sender that held it (pid ", "dropped replication slot " + slot, "deleted its record in customers.outbox_slot",
		"Nothing is lost"} {
		if !strings.Contains(out, want) {
			t.Errorf("slots drop --force lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"replication slot dropped", "by=ops", `reason="stuck WAL sender"`, "forced=true"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("slots drop --force logged no %q:\n%s", want, errOut)
		}
	}
	testutil.Eventually(t, 15*time.Second, func() bool { p := streaming(); return p != 0 && p != pid },
		"the relay streams from a new slot")

	dropped := decode[admin.DroppedSlot](t, e.ok("slots", "drop", tool, "--reason", "left by a tool", "--json"))
	if dropped.Slot.Name != tool || dropped.RecordDeleted || dropped.By != "tester@host" || len(dropped.Terminated) != 0 {
		t.Fatalf("slots drop --json: %+v", dropped)
	}
	if got := decode[[]admin.Slot](t, e.ok("slots", "list", "--json")); len(got) != 1 || got[0].Name != slot || !got[0].Active {
		t.Fatalf("slots after the drops: %+v", got)
	}
}
