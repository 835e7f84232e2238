package faults_test

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/faults"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		err    error
		reason string
	}{
		{"nil", nil, ""},
		{"cancelled", fmt.Errorf("stop: %w", context.Canceled), ""},
		{"handler error", errors.New("customer has no e-mail"), ""},
		{"constraint violation", &pgconn.PgError{Code: "23505"}, ""},
		{"admin shutdown", fmt.Errorf("begin: %w", &pgconn.PgError{Code: "57P01"}), faults.PostgresUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, faults.PostgresUnavailable},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, faults.PostgresConflict},
		{"closed conn", fmt.Errorf("claim: %w", pgconn.ErrConnClosed), faults.PostgresUnavailable},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), faults.Network},
		{"nats timeout", nats.ErrTimeout, faults.Timeout},
		{"deadline", context.DeadlineExceeded, faults.Timeout},
		{"no responders", nats.ErrNoResponders, faults.NATSUnavailable},
		{"stream missing", fmt.Errorf("publish: %w", faults.ErrStreamMissing), faults.StreamMissing},
		{"stream not found", jetstream.ErrStreamNotFound, faults.StreamMissing},
		{"smtp 421", &textproto.Error{Code: 421, Msg: "try again later"}, faults.SMTPUnavailable},
		{"smtp 550", &textproto.Error{Code: 550, Msg: "no such user"}, ""},
		{"wrapped transient", faults.Transient(faults.SMTPUnavailable, errors.New("x")), faults.SMTPUnavailable},
	} {
		reason, transient := faults.Classify(tc.err)
		if reason != tc.reason || transient != (tc.reason != "") {
			t.Errorf("%s: Classify = %q, %v; want %q", tc.name, reason, transient, tc.reason)
		}
	}
}

func TestBackoffStaysWithinHalfAndCap(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 12; n++ {
		want := min(100*time.Millisecond<<(n-1), 2*time.Second)
		for range 50 {
			if d := faults.Backoff(100*time.Millisecond, 2*time.Second, n); d < want/2 || d > want {
				t.Fatalf("Backoff(n=%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
}
