package admin_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// dbName is the name of the test's database (slot names carry its hash).
func (e *env) dbName() string {
	e.t.Helper()
	var db string
	if err := e.any.QueryRow(context.Background(), `SELECT current_database()`).Scan(&db); err != nil {
		e.t.Fatal(err)
	}
	return db
}

// slotName is the slot of schema's outbox in the test's database.
func (e *env) slotName(schema string) string { return outbox.SlotName(schema, e.dbName()) }

// prepare creates and adopts schema's slot the way a relay does (outbox.Relay.Prepare),
// without reading it: an inactive Pitstop slot with its record in outbox_slot.
func (e *env) prepare(schema string) {
	e.t.Helper()
	r, err := outbox.NewRelay(e.pools[schema], e.nc, outbox.RelayConfig{Schema: schema}, testutil.Logger(e.t), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := r.Prepare(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// createSlot creates a logical slot by SQL, as a tool outside Pitstop would.
func (e *env) createSlot(name string) {
	e.t.Helper()
	if _, err := e.any.Exec(context.Background(), `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, name); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) slots(adm *admin.Admin) []admin.Slot {
	e.t.Helper()
	s, err := adm.Slots(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// streaming reports whether a WAL sender streams from slot (START_REPLICATION: a relay
// reading it), and its pid. A slot is active for its creator too, before anyone reads it.
func (e *env) streaming(slot string) (int, bool) {
	e.t.Helper()
	var pid int
	err := e.any.QueryRow(context.Background(), `SELECT s.active_pid FROM pg_replication_slots s
		JOIN pg_stat_replication r ON r.pid = s.active_pid
		WHERE s.slot_name = $1 AND r.state = 'streaming'`, slot).Scan(&pid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return pid, true
}

func slotOf(slots []admin.Slot, name string) (admin.Slot, bool) {
	for _, s := range slots {
		if s.Name == name {
			return s, true
		}
	}
	return admin.Slot{}, false
}

// recordPoint is the consistent point recorded for slot in schema's outbox_slot ("" if none).
func (e *env) recordPoint(schema, slot string) string {
	e.t.Helper()
	var p string
	err := e.pools[schema].QueryRow(context.Background(), `SELECT consistent_point FROM outbox_slot WHERE slot_name = $1`, slot).Scan(&p)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		e.t.Fatal(err)
	}
	return p
}

func TestSlotsListsTheDatabasesLogicalSlotsAndStatusShowsEachOutboxsSlot(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	testutil.RequireLogicalWAL(t, e.db)
	db := e.dbName()
	e.prepare(shop)
	e.createSlot(e.slotName(books))
	tool := "tool_" + db // a slot of some other program
	e.createSlot(tool)
	// A slot of another database is not this database's business.
	other := testutil.Database(t)
	oc, err := pgx.Connect(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close(ctx)
	var otherDB string
	if err := oc.QueryRow(ctx, `SELECT current_database()`).Scan(&otherDB); err != nil {
		t.Fatal(err)
	}
	if _, err := oc.Exec(ctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, outbox.SlotName(shop, otherDB)); err != nil {
		t.Fatal(err)
	}
	e.write(shop, "a", 3) // WAL the slots have not confirmed

	got := e.slots(e.adm)
	if len(got) != 3 || got[0].Name != e.slotName(books) || got[1].Name != e.slotName(shop) || got[2].Name != tool {
		t.Fatalf("slots %+v, want books', shop's and the tool's in name order", got)
	}
	for _, s := range got {
		if s.Plugin != "pgoutput" || s.Database != db || s.Active || s.ActivePID != 0 || s.ConfirmedFlushLSN == "" ||
			s.LagBytes <= 0 || s.RetainedBytes < s.LagBytes || s.WALStatus != "reserved" {
			t.Errorf("slot %+v", s)
		}
	}
	if !got[0].Pitstop || got[0].Context != books || !got[1].Pitstop || got[1].Context != shop || got[2].Pitstop || got[2].Context != "" {
		t.Errorf("contexts: %+v", got)
	}
	if scoped := e.slots(admin.New(e.any, nil, admin.Options{Context: shop})); len(scoped) != 1 || scoped[0].Name != e.slotName(shop) {
		t.Errorf("shop's view: %+v", scoped)
	}
	if scoped := e.slots(admin.New(e.any, nil, admin.Options{Context: ledger})); len(scoped) != 0 {
		t.Errorf("ledger's view: %+v", scoped)
	}

	st := e.status()
	if s := outboxOf(t, st, shop).Slot; s == nil || s.Name != e.slotName(shop) || s.Active || s.LagBytes <= 0 || s.RetainedBytes < s.LagBytes {
		t.Errorf("shop's slot in the status: %+v", s)
	}
	if s := outboxOf(t, st, books).Slot; s == nil || s.Name != e.slotName(books) {
		t.Errorf("books' slot in the status: %+v", s)
	}

	// A relay reading its slot makes it active, with its WAL sender's pid.
	e.relay(shop, nil)
	testutil.Eventually(t, 10*time.Second, func() bool {
		pid, ok := e.streaming(e.slotName(shop))
		s, _ := slotOf(e.slots(e.adm), e.slotName(shop))
		return ok && s.Active && s.ActivePID == pid && len(of(e.stream(), "a")) == 3
	}, "shop's relay streams from its slot")
	if s := outboxOf(t, e.status(), shop).Slot; s == nil || !s.Active {
		t.Errorf("shop's slot in the status while its relay reads it: %+v", s)
	}
}

// Dropping an inactive Pitstop slot deletes its record too, and loses nothing: the next
// relay creates a new slot and publishes what is still in the outbox from the table.
func TestDropSlotDropsAnInactiveSlotWithItsRecordAndNothingIsLost(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	testutil.RequireLogicalWAL(t, e.db)
	var logs testutil.SyncBuffer
	adm := admin.New(e.any, e.js, admin.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	e.prepare(shop)
	name := e.slotName(shop)
	point := e.recordPoint(shop, name)
	if point == "" {
		t.Fatal("Prepare recorded no slot")
	}
	a := e.write(shop, "a", 3) // in the slot's stream, not yet published

	for _, bad := range []admin.DropSlotRequest{{Reason: "abandoned"}, {By: "ops@test"}, {By: " ", Reason: "x"}} {
		if _, err := adm.DropSlot(ctx, name, bad); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("DropSlot(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	req := admin.DropSlotRequest{By: "ops@test", Reason: "relay moved to another database"}
	if _, err := admin.New(e.any, nil, admin.Options{Context: books}).DropSlot(ctx, name, req); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("books' admin dropping shop's slot: %v, want ErrNotFound", err)
	}
	if _, err := adm.DropSlot(ctx, "no_such_slot", req); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("unknown slot: %v, want ErrNotFound", err)
	}
	out, err := adm.DropSlot(ctx, name, req)
	if err != nil {
		t.Fatal(err)
	}
	if out.Slot.Name != name || out.Slot.Context != shop || out.By != req.By || out.Reason != req.Reason ||
		!out.RecordDeleted || len(out.Terminated) != 0 || out.Slot.RetainedBytes <= 0 {
		t.Fatalf("outcome %+v", out)
	}
	if _, ok := slotOf(e.slots(adm), name); ok {
		t.Fatal("the slot is still there")
	}
	if p := e.recordPoint(shop, name); p != "" {
		t.Fatalf("the slot's record is still there (%s)", p)
	}
	line := logs.String()
	for _, want := range []string{"replication slot dropped", "slot=" + name, "by=ops@test", `reason="relay moved to another database"`, "forced=false"} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %s: %s", want, line)
		}
	}
	if _, err := adm.DropSlot(ctx, name, req); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("second drop: %v, want ErrNotFound", err)
	}
	// A slot that is no Pitstop slot: dropped, no record to delete.
	tool := "tool_" + e.dbName()
	e.createSlot(tool)
	if out, err := adm.DropSlot(ctx, tool, req); err != nil || out.RecordDeleted || out.Slot.Pitstop {
		t.Fatalf("drop of a foreign slot: %+v %v", out, err)
	}

	// Nothing lost: the events committed before the drop and after it are published, in order.
	b := e.write(shop, "a", 2)
	e.relay(shop, nil)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(of(e.stream(), "a")) == 5 }, "a's five events published")
	got := of(e.stream(), "a")
	for i, ev := range append(a, b...) {
		if got[i].eventID != ev.ID.String() || got[i].seq != int64(i+1) {
			t.Fatalf("stream of a: %s", seqs(got))
		}
	}
	if p := e.recordPoint(shop, name); p == "" || p == point {
		t.Fatalf("the relay's new slot is recorded at %q (old %q)", p, point)
	}
}

// An active slot is refused without force; with force its WAL sender is terminated and
// the slot dropped, and the relay carries on with a new slot.
func TestDropSlotRefusesAnActiveSlotUnlessForced(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	testutil.RequireLogicalWAL(t, e.db)
	name := e.slotName(shop)
	a := e.write(shop, "a", 2)
	e.relay(shop, nil)
	var before admin.Slot
	testutil.Eventually(t, 10*time.Second, func() bool {
		_, ok := e.streaming(name)
		before, _ = slotOf(e.slots(e.adm), name)
		return ok && before.Active && len(of(e.stream(), "a")) == 2
	}, "shop's relay streams from its slot")
	point := e.recordPoint(shop, name)

	req := admin.DropSlotRequest{By: "ops@test", Reason: "stuck WAL sender"}
	_, err := e.adm.DropSlot(ctx, name, req)
	if !errors.Is(err, admin.ErrSlotActive) || !strings.Contains(err.Error(), "force") {
		t.Fatalf("drop of an active slot: %v, want ErrSlotActive", err)
	}
	if s, ok := slotOf(e.slots(e.adm), name); !ok || !s.Active || s.ActivePID != before.ActivePID || e.recordPoint(shop, name) != point {
		t.Fatalf("the refused drop touched the slot: %+v (was %+v)", s, before)
	}

	req.Force = true
	out, err := e.adm.DropSlot(ctx, name, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Terminated) == 0 || out.Terminated[0] != before.ActivePID || !out.Slot.Active {
		t.Fatalf("outcome %+v, want WAL sender %d terminated", out, before.ActivePID)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(shop, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, before.ActivePID) == 0
	}, "WAL sender %d is gone", before.ActivePID)
	// The relay takes a new slot (the old record is gone or replaced) and keeps publishing.
	b := e.write(shop, "a", 2)
	testutil.Eventually(t, 10*time.Second, func() bool {
		pid, ok := e.streaming(name)
		p := e.recordPoint(shop, name)
		return ok && pid != before.ActivePID && p != "" && p != point && len(of(e.stream(), "a")) == 4
	}, "the relay streams from a new slot and published a's later events")
	got := of(e.stream(), "a")
	for i, ev := range append(a, b...) {
		if got[i].eventID != ev.ID.String() || got[i].seq != int64(i+1) {
			t.Fatalf("stream of a: %s", seqs(got))
		}
	}
}

func TestHTTPAPISlots(t *testing.T) {
	t.Parallel()
	e := setup(t)
	testutil.RequireLogicalWAL(t, e.db)
	shopSlot, booksSlot := e.slotName(shop), e.slotName(books)
	e.createSlot(booksSlot)
	e.relay(shop, nil)
	testutil.Eventually(t, 10*time.Second, func() bool {
		_, ok := e.streaming(shopSlot)
		return ok
	}, "shop's relay streams from its slot")
	shopAPI := e.api(admin.Service{Schema: shop})
	allAPI := e.api(admin.Service{})

	var list struct{ Items []admin.Slot }
	shopAPI.do("GET", "/admin/slots", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Name != shopSlot || !list.Items[0].Active || list.Items[0].Context != shop {
		t.Fatalf("shop's slots: %+v", list.Items)
	}
	allAPI.do("GET", "/admin/slots", "", 200, &list)
	if len(list.Items) != 2 || list.Items[0].Name != booksSlot || list.Items[1].Name != shopSlot {
		t.Fatalf("every slot: %+v", list.Items)
	}
	var st admin.Status
	shopAPI.do("GET", "/admin/status", "", 200, &st)
	if s := st.Outboxes[0].Slot; s == nil || s.Name != shopSlot || !s.Active {
		t.Fatalf("shop's status: %+v", st.Outboxes)
	}

	shopAPI.do("DELETE", "/admin/slots/"+booksSlot, `{"reason":"x"}`, 404, nil) // not shop's
	shopAPI.do("DELETE", "/admin/slots/no_such_slot", `{"reason":"x"}`, 404, nil)
	shopAPI.do("DELETE", "/admin/slots/Bad%20Name", `{"reason":"x"}`, 404, nil)
	var p struct {
		Errors []struct{ Field string }
	}
	shopAPI.do("DELETE", "/admin/slots/"+shopSlot, "", 400, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "reason" {
		t.Fatalf("drop without a reason: %+v", p)
	}
	shopAPI.do("DELETE", "/admin/slots/"+shopSlot+"?force=maybe&reason=x", "", 400, nil)
	shopAPI.do("DELETE", "/admin/slots/"+shopSlot, `{"reason":`, 400, nil)
	shopAPI.do("DELETE", "/admin/slots/"+shopSlot, `{"reason":"stuck"}`, 409, nil)
	shopAPI.do("DELETE", "/admin/slots/"+shopSlot+"?force=false&reason=stuck", "", 409, nil)
	var out admin.DroppedSlot
	shopAPI.do("DELETE", "/admin/slots/"+shopSlot+"?force=true&reason=stuck%20sender", "", 200, &out)
	if out.Slot.Name != shopSlot || len(out.Terminated) != 1 || out.Reason != "stuck sender" ||
		!strings.HasPrefix(out.By, "admin-api@127.0.0.1") {
		t.Fatalf("forced drop: %+v", out)
	}
	out = admin.DroppedSlot{}
	allAPI.do("DELETE", "/admin/slots/"+booksSlot+"?reason=ignored", `{"reason":"abandoned","by":"ops@test"}`, 200, &out)
	if out.Slot.Name != booksSlot || out.By != "ops@test" || out.Reason != "abandoned" || out.RecordDeleted || len(out.Terminated) != 0 {
		t.Fatalf("drop of books' slot: %+v", out)
	}
	allAPI.do("DELETE", "/admin/slots/"+booksSlot, `{"reason":"again"}`, 404, nil)
	allAPI.do("PUT", "/admin/slots/"+booksSlot, "", 405, nil)
}
