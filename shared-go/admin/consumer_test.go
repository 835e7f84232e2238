package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// aggregateEvents returns n events of aggregate agg numbered 1..n, as a relay of shop
// would publish them.
func aggregateEvents(t *testing.T, agg string, n int) []events.Envelope {
	t.Helper()
	var evs []events.Envelope
	for i := range n {
		ev, err := events.New("pitstop/shop", item{Agg: agg, N: i}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ev.Seq = int64(i + 1)
		evs = append(evs, ev)
	}
	return evs
}

// applied lists the seqs of agg that consumer applied, in application order.
func (e *env) applied(schema, consumer, agg string) []int64 {
	e.t.Helper()
	rows, err := e.pools[schema].Query(context.Background(),
		`SELECT seq FROM effects WHERE consumer = $1 AND aggregate = $2 ORDER BY n`, consumer, agg)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func equal(a []int64, b ...int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// failing fails the handler for one event id while on is set.
func failing(id string, on *atomic.Bool) messaging.Handler {
	return func(_ context.Context, _ pgx.Tx, ev events.Envelope) error {
		if on.Load() && ev.ID.String() == id {
			return errors.New("downstream refused it")
		}
		return nil
	}
}

// parkConsumer publishes k/1..3 while books' handler fails k/1 (MaxDeliver 1, so it
// is dead-lettered at the first failure) and waits until k/2 and k/3 are held back.
// A second consumer, ledger, applies all three.
func (e *env) parkConsumer(on *atomic.Bool) ([]events.Envelope, admin.DeadLetter) {
	e.t.Helper()
	evs := aggregateEvents(e.t, "k", 3)
	on.Store(true)
	reg := e.consumer(books, "books", 1, failing(evs[0].ID.String(), on))
	e.consumer(ledger, "ledger", 1, nil)
	for _, ev := range evs {
		e.publish(ev)
	}
	testutil.Eventually(e.t, 10*time.Second, func() bool {
		return e.count(books, `SELECT count(*) FROM consumer_dead_letter`) == 1 &&
			metric(e.t, reg, "pitstop_consumer_out_of_order_total") >= 2 && equal(e.applied(ledger, "ledger", "k"), 1, 2, 3)
	}, "k/1 dead-lettered by books, k/2 and k/3 waiting, ledger done")
	if got := e.applied(books, "books", "k"); len(got) != 0 {
		e.t.Fatalf("books applied %v behind its dead letter", got)
	}
	dl := e.only(admin.Filter{Consumer: "books"})
	if dl.EventID != evs[0].ID.String() || dl.Seq != 1 || dl.Aggregate != "shop/k" || dl.Context != books ||
		dl.NATSSubject != "pitstop.shop.ItemChanged" || !dl.Unresolved() {
		e.t.Fatalf("dead letter = %+v", dl)
	}
	return evs, dl
}

// A requeued consumer dead letter is applied once, by the consumer that failed it
// (resolving it as requeued), then its parked successors in order; the other
// consumer's inbox drops the copy.
func TestConsumerRequeueAppliesOnceAndReleasesTheAggregateInOrder(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	var on atomic.Bool
	evs, dl := e.parkConsumer(&on)
	id := mustID(t, dl.ID)
	full, err := e.adm.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if full.Headers[events.HeaderID][0] != evs[0].ID.String() || string(full.Payload) != string(evs[0].Data) {
		t.Fatalf("stored message: headers %v payload %s", full.Headers, full.Payload)
	}
	on.Store(false) // the downstream is fixed
	out, err := e.adm.Requeue(ctx, id, "ops@test", "downstream fixed")
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != "requeue-pending" || out.StreamSeq == 0 || out.Duplicate {
		t.Fatalf("outcome = %+v", out)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return equal(e.applied(books, "books", "k"), 1, 2, 3) },
		"books applies k/1 then its parked successors")
	d, err := e.adm.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Resolution != "requeued" || d.ResolvedAt == nil || d.ResolvedBy != "ops@test" || d.ResolveNote != "downstream fixed" {
		t.Fatalf("dead letter after the copy was applied: %+v", d)
	}
	copyMsg := e.stream()[3]
	if copyMsg.eventID != evs[0].ID.String() || copyMsg.header.Get(events.HeaderMsgID) != evs[0].ID.String()+"/requeue/"+
		itoa(id.Row) || copyMsg.header.Get(messaging.HeaderRequeued) != itoa(id.Row) {
		t.Fatalf("copy on the stream: %v", copyMsg.header)
	}
	// The other consumer saw the copy as a duplicate: still one effect per event.
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(ledger, `SELECT count(*) FROM inbox`) == 3
	}, "ledger's inbox")
	if got := e.applied(ledger, "ledger", "k"); !equal(got, 1, 2, 3) {
		t.Fatalf("ledger applied %v", got)
	}
	if _, err := e.adm.Requeue(ctx, id, "ops@test", ""); !errors.Is(err, admin.ErrResolved) {
		t.Fatalf("requeue of a resolved dead letter: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A skipped consumer dead letter is never applied; the consumer advances past it, its
// parked successors are applied, a redelivery of it is a duplicate, and the skip is
// recorded for the audit log through the context's outbox.
func TestConsumerSkipAdvancesPastTheEventWhichIsNeverApplied(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	var on atomic.Bool
	evs, dl := e.parkConsumer(&on)
	id := mustID(t, dl.ID)
	out, err := e.adm.Skip(ctx, id, "ops@test", "customer deleted upstream")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return equal(e.applied(books, "books", "k"), 2, 3) },
		"books applies k/2 and k/3 and never k/1")
	var last int64
	if err := e.pools[books].QueryRow(ctx, `SELECT last_seq FROM inbox_sequence WHERE consumer = 'books' AND aggregate = 'shop/k'`).
		Scan(&last); err != nil || last != 3 {
		t.Fatalf("inbox_sequence = %d, %v", last, err)
	}
	if n := e.count(books, `SELECT count(*) FROM inbox WHERE consumer = 'books' AND event_id = $1 AND seq = 1`, evs[0].ID); n != 1 {
		t.Fatal("the skipped event is not in the inbox")
	}
	// A late redelivery of the skipped event (outside the duplicate window) changes nothing.
	late := evs[0].Msg()
	late.Header.Set(events.HeaderMsgID, "late-"+evs[0].ID.String())
	if _, err := e.js.PublishMsg(ctx, late); err != nil {
		t.Fatal(err)
	}
	marker := aggregateEvents(t, "marker", 1)[0]
	e.publish(marker)
	testutil.Eventually(t, 10*time.Second, func() bool { return equal(e.applied(books, "books", "marker"), 1) }, "marker applied")
	if got := e.applied(books, "books", "k"); !equal(got, 2, 3) {
		t.Fatalf("after the late redelivery books applied %v", got)
	}
	// The audit event waits in books's outbox (no relay runs here).
	var (
		typ, subject string
		seq          int64
		payload      []byte
	)
	if err := e.pools[books].QueryRow(ctx, `SELECT event_type, subject, seq, payload FROM outbox WHERE event_id = $1`, out.WrittenEventID).
		Scan(&typ, &subject, &seq, &payload); err != nil {
		t.Fatal(err)
	}
	var body admin.DeadLetterSkipped
	if err := json.Unmarshal(payload, &body); err != nil {
		t.Fatal(err)
	}
	if typ != "pitstop.books.DeadLetterSkipped" || subject != "" || seq != 0 || body.Consumer != "books" ||
		body.EventID != evs[0].ID.String() || body.EventType != "pitstop.shop.ItemChanged" || body.Reason != "customer deleted upstream" ||
		body.By != "ops@test" || body.DeadLetter != dl.ID {
		t.Fatalf("audit event %s %q seq %d %+v", typ, subject, seq, body)
	}
	d, err := e.adm.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Resolution != "skipped" || d.ResolvedAt == nil || d.ResolvedBy != "ops@test" {
		t.Fatalf("dead letter = %+v", d)
	}
}

// Skipping a dead letter of a consumer whose context has no outbox (and no audit table)
// still releases its aggregate.
func TestConsumerSkipInAContextWithoutOutbox(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	evs := aggregateEvents(t, "z", 2)
	var on atomic.Bool
	on.Store(true)
	e.consumer(ledger, "ledger", 1, failing(evs[0].ID.String(), &on))
	for _, ev := range evs {
		e.publish(ev)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return e.count(ledger, `SELECT count(*) FROM consumer_dead_letter`) == 1 },
		"dead-lettered")
	dl := e.only(admin.Filter{Context: ledger})
	out, err := e.adm.Skip(ctx, mustID(t, dl.ID), "ops@test", "not needed")
	if err != nil {
		t.Fatal(err)
	}
	if out.WrittenEventID != "" {
		t.Fatalf("an audit event was written without a place for it: %+v", out)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return equal(e.applied(ledger, "ledger", "z"), 2) }, "z/2 applied")
}
