package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// parkAggregate dead-letters the first of three events of aggregate "a" in shop's
// outbox (the relay's broker refuses it), lets aggregate "b" flow, and stops the relay.
// It returns a's events and the dead letter.
func (e *env) parkAggregate() ([]events.Envelope, admin.DeadLetter) {
	e.t.Helper()
	a := e.write(shop, "a", 3)
	e.write(shop, "b", 2)
	var ref refusing
	ref.refuse(a[0].ID)
	_, stop := e.relay(shop, ref.hook)
	testutil.Eventually(e.t, 10*time.Second, func() bool {
		return len(of(e.stream(), "b")) == 2 && e.count(shop, `SELECT count(*) FROM outbox_dead_letter`) == 1
	}, "b published and a's head dead-lettered")
	stop()
	if got := of(e.stream(), "a"); len(got) != 0 {
		e.t.Fatalf("parked aggregate published: %s", seqs(got))
	}
	if n := e.count(shop, `SELECT count(*) FROM outbox WHERE subject = 'a'`); n != 2 {
		e.t.Fatalf("%d rows of a wait in the outbox, want 2", n)
	}
	dl := e.only(admin.Filter{Context: shop, Kind: admin.Relay})
	if dl.EventID != a[0].ID.String() || dl.Seq != 1 || dl.Aggregate != "a" || dl.Error == "" || !dl.Unresolved() {
		e.t.Fatalf("dead letter = %+v", dl)
	}
	return a, dl
}

// Requeue puts the row back under its original id; a relay then publishes it before
// the rows that were parked behind it, so the stream holds a's events as seq 1, 2, 3.
func TestRelayRequeuePublishesTheRowBeforeItsParkedSuccessors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	a, dl := e.parkAggregate()
	id := mustID(t, dl.ID)
	var originalID int64
	if err := e.pools[shop].QueryRow(ctx, `SELECT id FROM outbox_dead_letter`).Scan(&originalID); err != nil {
		t.Fatal(err)
	}
	out, err := e.adm.Requeue(ctx, id, "ops@test", "broker fixed")
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != "requeued" || out.EventID != a[0].ID.String() {
		t.Fatalf("outcome = %+v", out)
	}
	var (
		backID, seq int64
		attempts    int
		eventID     string
	)
	if err := e.pools[shop].QueryRow(ctx, `SELECT id, event_id::text, seq, attempts FROM outbox WHERE subject = 'a' ORDER BY id LIMIT 1`).
		Scan(&backID, &eventID, &seq, &attempts); err != nil {
		t.Fatal(err)
	}
	if backID != originalID || eventID != a[0].ID.String() || seq != 1 || attempts != 0 {
		t.Fatalf("requeued row: id %d (want %d), event %s, seq %d, attempts %d", backID, originalID, eventID, seq, attempts)
	}
	if n := e.count(shop, `SELECT count(*) FROM outbox_dead_letter`); n != 0 {
		t.Fatalf("%d dead letters left after the requeue", n)
	}
	if _, err := e.adm.Requeue(ctx, id, "ops@test", ""); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("second requeue: %v, want ErrNotFound", err)
	}
	e.relay(shop, nil)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(of(e.stream(), "a")) == 3 }, "a published")
	got := of(e.stream(), "a")
	for i, m := range got {
		if m.seq != int64(i+1) || m.eventID != a[i].ID.String() {
			t.Fatalf("stream order of a: %s", seqs(got))
		}
	}
}

// Skip marks the dead letter skipped and writes a tombstone at its id and seq; the
// parked rows follow it.
func TestRelaySkipWritesATombstoneAtTheSamePosition(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	a, dl := e.parkAggregate()
	id := mustID(t, dl.ID)
	if _, err := e.adm.Skip(ctx, id, "ops@test", ""); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("skip without a reason: %v, want ErrInvalid", err)
	}
	out, err := e.adm.Skip(ctx, id, "ops@test", "bad data, re-entered by hand")
	if err != nil {
		t.Fatal(err)
	}
	var (
		rowID, seq        int64
		typ, subj, source string
		payload           []byte
	)
	if err := e.pools[shop].QueryRow(ctx, `SELECT id, event_type, subject, source, seq, payload FROM outbox WHERE event_id = $1`,
		out.WrittenEventID).Scan(&rowID, &typ, &subj, &source, &seq, &payload); err != nil {
		t.Fatal(err)
	}
	if rowID != id.Row || typ != "pitstop.shop.EventSkipped" || subj != "a" || seq != 1 || source != "pitstop/shop" {
		t.Fatalf("tombstone: id %d type %s subject %s seq %d source %s", rowID, typ, subj, seq, source)
	}
	var body admin.EventSkipped
	if err := json.Unmarshal(payload, &body); err != nil {
		t.Fatal(err)
	}
	if body != (admin.EventSkipped{SkippedEventID: a[0].ID.String(), SkippedType: "pitstop.shop.ItemChanged",
		Reason: "bad data, re-entered by hand", By: "ops@test"}) {
		t.Fatalf("tombstone body = %+v", body)
	}
	d, err := e.adm.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Resolution != "skipped" || d.ResolvedBy != "ops@test" || d.ResolveNote != "bad data, re-entered by hand" || d.ResolvedAt == nil {
		t.Fatalf("skipped dead letter = %+v", d)
	}
	for _, op := range []func() error{
		func() error { _, err := e.adm.Skip(ctx, id, "ops@test", "again"); return err },
		func() error { _, err := e.adm.Requeue(ctx, id, "ops@test", ""); return err },
	} {
		if err := op(); !errors.Is(err, admin.ErrResolved) {
			t.Fatalf("on a skipped dead letter: %v, want ErrResolved", err)
		}
	}
	if dls, err := e.adm.List(ctx, admin.Filter{Context: shop}); err != nil || len(dls) != 0 {
		t.Fatalf("unresolved after skip: %v %+v", err, dls)
	}
	e.relay(shop, nil)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(of(e.stream(), "a")) == 3 }, "a flows again")
	got := of(e.stream(), "a")
	if got[0].typ != "pitstop.shop.EventSkipped" || got[0].seq != 1 || got[0].eventID != out.WrittenEventID ||
		got[1].eventID != a[1].ID.String() || got[1].seq != 2 || got[2].eventID != a[2].ID.String() || got[2].seq != 3 {
		t.Fatalf("stream of a: %s", seqs(got))
	}
}
