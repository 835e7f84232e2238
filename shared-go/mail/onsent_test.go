package mail_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	pitmail "github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// sentLog creates the table the tests' OnSent hooks write to: the follow-up effect of
// a sent mail, as an outbox row would be.
func sentLog(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `CREATE TABLE sent_log (
		message_id text PRIMARY KEY, seq bigint NOT NULL, subject text NOT NULL, sent_at timestamptz NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

// logSent is an OnSent effect: it records r in sent_log inside tx.
func logSent(ctx context.Context, tx pgx.Tx, r pitmail.Record) error {
	if r.SentAt == nil {
		return errors.New("OnSent got a record without SentAt")
	}
	_, err := tx.Exec(ctx, `INSERT INTO sent_log (message_id, seq, subject, sent_at) VALUES ($1, $2, $3, $4)`,
		r.ID, r.Seq, r.Subject, *r.SentAt)
	return err
}

func count(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOnSentEffectCommitsWithSentAt: the hook's write commits in the transaction that
// marks the mail sent: no snapshot ever shows a sent mail without its effect or an
// effect without its sent mail, and the hook sees the record as marked.
func TestOnSentEffectCommitsWithSentAt(t *testing.T) {
	t.Parallel()
	pool := database(t)
	sentLog(t, pool)
	srv := testutil.StartSMTP(t)
	cfg := fast
	cfg.OnSent = logSent
	startDispatcher(t, pool, smtpSender(srv), cfg, nil)

	ms := ids("hooked", 20)
	for _, id := range ms {
		enqueue(t, pool, message(id))
	}
	testutil.Eventually(t, wait, func() bool {
		// One statement, one snapshot: sent_at and the effect must agree in every one.
		if n := count(t, pool, `SELECT count(*) FROM mail_outbox m
			WHERE (m.sent_at IS NOT NULL) <> EXISTS (SELECT 1 FROM sent_log l WHERE l.message_id = m.message_id)`); n != 0 {
			t.Fatalf("%d mails whose sent_at and OnSent effect disagree", n)
		}
		return count(t, pool, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`) == 0
	}, "mails not all marked sent")

	if n := count(t, pool, `SELECT count(*) FROM sent_log l JOIN mail_outbox m USING (message_id)
		WHERE l.sent_at = m.sent_at AND l.seq = m.id AND l.subject = m.subject`); n != len(ms) {
		t.Errorf("%d effects carry the marked record (sent_at, seq, subject), want %d", n, len(ms))
	}
	for _, id := range ms {
		if n := received(srv)[id]; n != 1 {
			t.Errorf("%s received %d times, want 1", id, n)
		}
	}
}

// TestOnSentFailureLeavesTheMailUnmarkedAndRetriesTheMarking: when the hook fails,
// nothing commits (no sent_at, no effect), the mail is not sent again, its lease is
// renewed so that no other dispatcher takes it over, and marking is retried until the
// hook succeeds; then the mails behind it go out.
func TestOnSentFailureLeavesTheMailUnmarkedAndRetriesTheMarking(t *testing.T) {
	t.Parallel()
	pool := database(t)
	sentLog(t, pool)
	srv := testutil.StartSMTP(t)
	var failing atomic.Bool
	failing.Store(true)
	var calls atomic.Int64
	cfg := fast
	cfg.Lease = 2 * time.Second
	cfg.OnSent = func(ctx context.Context, tx pgx.Tx, r pitmail.Record) error {
		calls.Add(1)
		if err := logSent(ctx, tx, r); err != nil {
			return err
		}
		if failing.Load() {
			return errors.New("follow-up effect failed")
		}
		return nil
	}
	startDispatcher(t, pool, smtpSender(srv), cfg, nil)

	m := message("hook-fails@pitstop.example")
	enqueue(t, pool, m)
	testutil.Eventually(t, wait, func() bool { return calls.Load() >= 3 }, "marking not retried after OnSent failed")
	if r := get(t, pool, m.ID); r.SentAt != nil {
		t.Fatalf("mail marked sent at %v although OnSent failed", r.SentAt)
	}
	if n := count(t, pool, `SELECT count(*) FROM sent_log`); n != 0 {
		t.Fatalf("the failed OnSent's effect committed (%d rows)", n)
	}

	// The lease is renewed while the marking is retried (2s lease, retries every
	// 100ms or less): another dispatcher could not claim the mail.
	lease := func() time.Time {
		var l *time.Time
		if err := pool.QueryRow(context.Background(), `SELECT locked_until FROM mail_outbox WHERE message_id = $1`, m.ID).Scan(&l); err != nil {
			t.Fatal(err)
		}
		if l == nil {
			t.Fatal("a sent, unmarked mail lost its lease")
		}
		return *l
	}
	first := lease()
	testutil.Eventually(t, wait, func() bool { return lease().After(first) }, "lease not renewed while marking is retried")
	if n := count(t, pool, `SELECT count(*) FROM mail_outbox WHERE message_id = $1 AND locked_until > now()`, m.ID); n != 1 {
		t.Error("the unmarked mail's lease ran out")
	}

	// A mail queued behind waits until the marking succeeded.
	behind := message("behind@pitstop.example")
	enqueue(t, pool, behind)
	before := calls.Load()
	testutil.Eventually(t, wait, func() bool { return calls.Load() >= before+2 }, "marking not retried")
	if _, ok := find(srv, behind.ID); ok {
		t.Error("a mail was sent while an earlier one was still unmarked")
	}

	failing.Store(false)
	testutil.Eventually(t, wait, func() bool { return get(t, pool, behind.ID).SentAt != nil }, "dispatcher never recovered")
	r := get(t, pool, m.ID)
	if r.SentAt == nil {
		t.Fatal("mail never marked sent")
	}
	var loggedAt time.Time
	if err := pool.QueryRow(context.Background(), `SELECT sent_at FROM sent_log WHERE message_id = $1`, m.ID).Scan(&loggedAt); err != nil {
		t.Fatalf("OnSent effect of the retried marking: %v", err)
	}
	if !loggedAt.Equal(*r.SentAt) {
		t.Errorf("effect says sent at %v, the mail %v", loggedAt, *r.SentAt)
	}
	got := received(srv)
	if got[m.ID] != 1 || got[behind.ID] != 1 {
		t.Errorf("received %v, want each mail once (a failed OnSent must not re-send)", got)
	}
	if r.Attempts != 0 || r.LastError != "" {
		t.Errorf("an OnSent failure was counted as a send failure: attempts %d, last error %q", r.Attempts, r.LastError)
	}
}

// markingSender sends through inner and then marks the mail target sent itself, as a
// dispatcher that took the mail over (its lease ran out) and finished first would.
type markingSender struct {
	inner  pitmail.Sender
	pool   *pgxpool.Pool
	target string
}

func (s markingSender) Send(ctx context.Context, m pitmail.Message) error {
	if err := s.inner.Send(ctx, m); err != nil {
		return err
	}
	if m.ID == s.target {
		if _, err := s.pool.Exec(ctx, `UPDATE mail_outbox SET sent_at = now() WHERE message_id = $1`, m.ID); err != nil {
			return err
		}
	}
	return nil
}

// TestOnSentIsNotRunForAMailAlreadyMarked: the hook runs only for the transition to
// sent; a dispatcher finding the mail already marked runs nothing.
func TestOnSentIsNotRunForAMailAlreadyMarked(t *testing.T) {
	t.Parallel()
	pool := database(t)
	var mu sync.Mutex
	calls := map[string]int{}
	cfg := fast
	cfg.OnSent = func(_ context.Context, _ pgx.Tx, r pitmail.Record) error {
		mu.Lock()
		defer mu.Unlock()
		calls[r.ID]++
		return nil
	}
	callsOf := func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls[id]
	}
	marked := message("marked-elsewhere@pitstop.example")
	startDispatcher(t, pool, markingSender{inner: &failingSender{}, pool: pool, target: marked.ID}, cfg, nil)

	enqueue(t, pool, marked)
	// Mails go out oldest first: once the barrier's hook ran, the first mail's marking
	// is over.
	barrier := message("barrier@pitstop.example")
	enqueue(t, pool, barrier)
	testutil.Eventually(t, wait, func() bool { return callsOf(barrier.ID) == 1 }, "OnSent not run for the barrier")
	if get(t, pool, marked.ID).SentAt == nil {
		t.Fatal("the mail is not marked sent")
	}
	if n := callsOf(marked.ID); n != 0 {
		t.Errorf("OnSent ran %d times for a mail that was already marked, want 0", n)
	}
}
