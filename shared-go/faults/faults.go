// Package faults classifies failures once for the whole system: an infrastructure fault
// (Postgres unreachable or restarting, NATS timing out or without responders, the
// stream missing, SMTP down) is transient and never counts toward dead-lettering; any
// other failure is the message's or the handler's own, and does.
//
// The relay, the consumers and the mail dispatcher all ask Classify, back off with
// Backoff (exponential, full jitter, capped) and report through a Tracker, which keeps
// the transient-failure counter, the readiness state and a rate-limited warning.
package faults

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/textproto"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons, the values of the reason label of the transient-failure counters.
const (
	PostgresUnavailable = "postgres_unavailable"
	PostgresConflict    = "postgres_conflict"
	NATSUnavailable     = "nats_unavailable"
	StreamMissing       = "stream_missing"
	Timeout             = "timeout"
	SMTPUnavailable     = "smtp_unavailable"
	Network             = "network"
)

// Reasons lists every reason Classify can return, so counters can be initialised.
var Reasons = []string{PostgresUnavailable, PostgresConflict, NATSUnavailable, StreamMissing, Timeout, SMTPUnavailable, Network}

// ErrStreamMissing marks a publish that found no stream for a subject the system
// declares: the stream was deleted or the broker is new. Declare it again and retry.
var ErrStreamMissing = errors.New("stream missing")

// Transient wraps err so that Classify reports it as transient with reason.
func Transient(reason string, err error) error { return &transientError{reason: reason, err: err} }

type transientError struct {
	reason string
	err    error
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Classify reports whether err is an infrastructure fault, and which. A nil error, a
// cancelled context, and anything not recognised are not transient.
func Classify(err error) (reason string, transient bool) {
	if err == nil || errors.Is(err, context.Canceled) {
		return "", false
	}
	var te *transientError
	if errors.As(err, &te) {
		return te.reason, true
	}
	if errors.Is(err, ErrStreamMissing) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return StreamMissing, true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08", // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutting down, cannot connect now
			pgErr.Code == "53300", pgErr.Code == "53400", // too many connections, configuration limit
			pgErr.Code == "25006": // read-only transaction (a fail-over in progress)
			return PostgresUnavailable, true
		case pgErr.Code == "40001", pgErr.Code == "40P01": // serialization failure, deadlock
			return PostgresConflict, true
		}
		return "", false // the statement itself failed: the handler's error
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || pgconn.SafeToRetry(err) {
		return PostgresUnavailable, true
	}
	if errors.Is(err, jetstream.ErrAsyncPublishTimeout) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return Timeout, true
	}
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, jetstream.ErrTooManyStalledMsgs) ||
		errors.Is(err, nats.ErrConnectionDraining) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return NATSUnavailable, true
	}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code >= 400 && tpErr.Code < 500 {
		return SMTPUnavailable, true
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return Network, true
	}
	// pgx reports a statement on a connection it already closed (socket gone) so.
	if errors.Is(err, pgconn.ErrConnClosed) {
		return PostgresUnavailable, true
	}
	return "", false
}

// IsTransient reports whether err is an infrastructure fault.
func IsTransient(err error) bool {
	_, t := Classify(err)
	return t
}

// Backoff is the delay before retry n (1-based) after transient failures: full jitter
// over min(base*2^(n-1), limit), never below base/2, so that replicas that failed
// together do not retry together.
func Backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}

// Tracker records the transient failures of one component: a counter by reason, the
// time of the last failure and of the last success (for readiness), and a warning that
// is logged at most once per interval. It is safe for concurrent use.
type Tracker struct {
	counter  *prometheus.CounterVec
	log      *slog.Logger
	interval time.Duration

	mu         sync.Mutex
	failing    bool
	lastErr    error
	lastWarn   time.Time
	suppressed int
}

// NewTracker registers name (e.g. pitstop_outbox_transient_failures_total) with the
// const labels on reg (may be nil) and logs warnings on log at most once per 10 s.
func NewTracker(reg prometheus.Registerer, name, help string, labels prometheus.Labels, log *slog.Logger) *Tracker {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, []string{"reason"})
	for _, r := range Reasons {
		c.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(c)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Tracker{counter: c, log: log, interval: 10 * time.Second}
}

// Failed counts a transient failure and logs it (rate-limited).
func (t *Tracker) Failed(reason string, err error) {
	t.counter.WithLabelValues(reason).Inc()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failing = true
	t.lastErr = err
	if now := time.Now(); now.Sub(t.lastWarn) >= t.interval {
		t.log.Warn("transient failure; backing off", "reason", reason, "err", err, "suppressed", t.suppressed)
		t.lastWarn = now
		t.suppressed = 0
	} else {
		t.suppressed++
	}
}

// Succeeded clears the failing state after the component worked again.
func (t *Tracker) Succeeded() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failing {
		t.log.Info("recovered from transient failure", "last_err", t.lastErr)
	}
	t.failing = false
	t.lastErr = nil
}

// Err returns the last transient failure while the component has not succeeded since,
// else nil (for /readyz).
func (t *Tracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.failing {
		return nil
	}
	return t.lastErr
}
