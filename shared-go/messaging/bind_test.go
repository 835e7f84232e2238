package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// toucher is what the bound handlers below need: declared where it is consumed.
type toucher interface {
	Touch(ctx context.Context, id uuid.UUID, key string) error
}

// effectsTxStore is a store bound to one transaction, as a context's <Thing>TxStore is.
type effectsTxStore struct{ tx pgx.Tx }

func (s *effectsTxStore) Touch(ctx context.Context, id uuid.UUID, key string) error {
	_, err := s.tx.Exec(ctx, `INSERT INTO effects (event_id, key) VALUES ($1, $2)`, id, key)
	return err
}

// The store Bind builds writes in the consumer's transaction: a handler that fails
// after writing through it leaves no effect (and no inbox row) behind, and the
// redelivery that succeeds leaves exactly one. A store writing anywhere else (its own
// connection, autocommit) would leave one row per failed delivery too.
func TestBindBuildsTheStoreOnTheConsumersTransaction(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var stores, flakyCalls atomic.Int32
	newStore := func(tx pgx.Tx) toucher {
		stores.Add(1)
		return &effectsTxStore{tx: tx}
	}
	handle := func(ctx context.Context, s toucher, ev events.Envelope) error {
		var p touched
		if err := ev.Decode(&p); err != nil {
			return messaging.Permanent(err, events.ErrMalformed)
		}
		if err := s.Touch(ctx, ev.ID, p.Key); err != nil {
			return err
		}
		if p.Key == "flaky" && flakyCalls.Add(1) <= 2 {
			return errors.New("fails after its write")
		}
		return nil
	}
	cfg := messaging.ConsumerConfig{Backoff: []time.Duration{10 * time.Millisecond}}
	var inTx atomic.Int32
	cfg.OnHandled = func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
		// Still inside the consumer's transaction: the store's row is already there.
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM effects WHERE event_id = $1`, ev.ID).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			inTx.Add(1)
		}
		return nil
	}
	e.run(cfg, messaging.Bind(newStore, handle))

	flaky := newEvent(t, "flaky")
	e.publish(flaky, flaky.ID.String())
	plain := newEvent(t, "plain")
	e.publish(plain, plain.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM effects WHERE event_id = $1`, flaky.ID) == 1 &&
			e.count(`SELECT count(*) FROM effects WHERE event_id = $1`, plain.ID) == 1
	}, "both events applied")
	if got := e.count(`SELECT count(*) FROM effects`); got != 2 {
		t.Fatalf("effects = %d, want 2: the failed deliveries' writes did not roll back with the handler", got)
	}
	if got := e.count(`SELECT count(*) FROM inbox`); got != 2 {
		t.Fatalf("inbox rows = %d, want 2", got)
	}
	if flakyCalls.Load() != 3 || stores.Load() != 4 {
		t.Fatalf("flaky handled %d times (want 3), stores built %d (want 4: one per handled delivery)",
			flakyCalls.Load(), stores.Load())
	}
	if inTx.Load() != 2 {
		t.Fatalf("the store's row was visible in the consumer's transaction for %d events, want 2", inTx.Load())
	}
}

var errInvalid = errors.New("invalid touch")

// Permanent sends an event whose error matches a sentinel to the dead letters on its
// first delivery; any other error is redelivered until MaxDeliver as before.
func TestPermanentDeadLettersMatchingErrorsAtOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var invalidCalls, unavailableCalls atomic.Int32
	e.run(messaging.ConsumerConfig{MaxDeliver: 3, Backoff: []time.Duration{10 * time.Millisecond}},
		messaging.Bind(func(tx pgx.Tx) toucher { return &effectsTxStore{tx: tx} },
			func(ctx context.Context, s toucher, ev events.Envelope) error {
				var p touched
				err := ev.Decode(&p)
				switch {
				case err != nil:
				case p.Key == "invalid":
					invalidCalls.Add(1)
					err = fmt.Errorf("touch %s: %w", p.Key, errInvalid)
				case p.Key == "unavailable":
					unavailableCalls.Add(1)
					err = errors.New("unavailable")
				default:
					err = s.Touch(ctx, ev.ID, p.Key)
				}
				return messaging.Permanent(err, events.ErrMalformed, errInvalid)
			}))
	invalid := newEvent(t, "invalid")
	e.publish(invalid, invalid.ID.String())
	unavailable := newEvent(t, "unavailable")
	e.publish(unavailable, unavailable.ID.String())
	good := newEvent(t, "good")
	e.publish(good, good.ID.String())
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM consumer_dead_letter`) == 2 &&
			e.count(`SELECT count(*) FROM effects WHERE key = 'good'`) == 1
	}, "both failing events dead-lettered, the good one applied")
	for _, want := range []struct {
		id         uuid.UUID
		reason     string
		deliveries int
	}{
		{invalid.ID, "permanent failure: touch invalid: invalid touch", 1},
		{unavailable.ID, "unavailable", 3},
	} {
		var reason string
		var deliveries int
		if err := e.pool.QueryRow(context.Background(), `SELECT reason, deliveries FROM consumer_dead_letter WHERE event_id = $1`,
			want.id.String()).Scan(&reason, &deliveries); err != nil {
			t.Fatal(err)
		}
		if reason != want.reason || deliveries != want.deliveries {
			t.Errorf("dead letter of %s: reason %q after %d deliveries, want %q after %d", want.id, reason, deliveries,
				want.reason, want.deliveries)
		}
	}
	if invalidCalls.Load() != 1 || unavailableCalls.Load() != 3 {
		t.Fatalf("handled the invalid event %d times (want 1), the unavailable one %d times (want 3)",
			invalidCalls.Load(), unavailableCalls.Load())
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	other := errors.New("other")
	wrapped := fmt.Errorf("decode: %w", errInvalid)
	already := fmt.Errorf("%w: %w", messaging.ErrPermanent, errInvalid)
	for _, tc := range []struct {
		name      string
		err       error
		sentinels []error
		permanent bool
		message   string
	}{
		{"nil stays nil", nil, []error{errInvalid}, false, ""},
		{"no sentinels", wrapped, nil, false, "decode: invalid touch"},
		{"no match", other, []error{errInvalid, events.ErrMalformed}, false, "other"},
		{"wrapped match", wrapped, []error{events.ErrMalformed, errInvalid}, true, "permanent failure: decode: invalid touch"},
		{"match in a join", errors.Join(other, errInvalid), []error{errInvalid}, true, "permanent failure: other\ninvalid touch"},
		{"already permanent", already, []error{errInvalid}, true, "permanent failure: invalid touch"},
		{"already permanent, no match", already, []error{other}, true, "permanent failure: invalid touch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := messaging.Permanent(tc.err, tc.sentinels...)
			if tc.err == nil {
				if got != nil {
					t.Fatalf("Permanent(nil) = %v", got)
				}
				return
			}
			if errors.Is(got, messaging.ErrPermanent) != tc.permanent {
				t.Fatalf("Permanent(%v) = %v: permanent %v, want %v", tc.err, got, !tc.permanent, tc.permanent)
			}
			if !errors.Is(got, tc.err) {
				t.Fatalf("Permanent(%v) = %v lost the original error", tc.err, got)
			}
			if !tc.permanent && got != tc.err {
				t.Fatalf("Permanent(%v) = %v, want err unchanged", tc.err, got)
			}
			if got.Error() != tc.message {
				t.Fatalf("Permanent(%v) says %q, want %q", tc.err, got, tc.message)
			}
		})
	}
}

// sentMail stands for a message that is not an event (mail.Record for the mail
// dispatcher's OnSent): Bind serves any hook of the shape (ctx, tx, msg).
type sentMail struct{ id string }

type mailBook struct {
	tx   pgx.Tx
	sent []string
}

func TestBindServesHooksOfOtherMessages(t *testing.T) {
	t.Parallel()
	var built []*mailBook
	failing := errors.New("book full")
	hook := messaging.Bind(func(tx pgx.Tx) *mailBook {
		b := &mailBook{tx: tx}
		built = append(built, b)
		return b
	}, func(_ context.Context, b *mailBook, m sentMail) error {
		b.sent = append(b.sent, m.id)
		if m.id == "full" {
			return failing
		}
		return nil
	})
	var onSent func(context.Context, pgx.Tx, sentMail) error = hook
	if err := onSent(context.Background(), nil, sentMail{id: "m-1"}); err != nil {
		t.Fatal(err)
	}
	if err := onSent(context.Background(), nil, sentMail{id: "full"}); !errors.Is(err, failing) {
		t.Fatalf("error %v, want the handler's own", err)
	}
	if len(built) != 2 || len(built[0].sent) != 1 || built[0].sent[0] != "m-1" || len(built[1].sent) != 1 || built[1].sent[0] != "full" {
		t.Fatalf("stores %+v: want a fresh store per call, each given its message", built)
	}
}
