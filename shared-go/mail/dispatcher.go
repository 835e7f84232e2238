package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/faults"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// DispatcherConfig tunes a Dispatcher. Zero values take the documented defaults.
type DispatcherConfig struct {
	// PollInterval is the fallback wake-up when no notification arrives (default 1s).
	PollInterval time.Duration
	// MaxBackoff caps the delay before retrying a failed mail (default 1m).
	MaxBackoff time.Duration
	// MinBackoff is the delay after a mail's first failure, doubled after each further
	// failure up to MaxBackoff (default 200ms).
	MinBackoff time.Duration
	// Lease is how long a dispatcher holds a claimed mail while sending it; when it
	// runs out (the dispatcher died) another one may send it. Each Send gets a
	// context that ends at half the lease, so a live dispatcher never loses its
	// lease mid-send (default 2m). While the marking of a sent mail is retried (see
	// OnSent), the dispatcher keeps renewing the lease so that no other one sends the
	// mail again.
	Lease time.Duration
	// OnSent, when set, is the follow-up effect of a sent mail (e.g. adding an event
	// to an outbox). It runs in the same transaction that marks the mail sent, so the
	// effect commits if and only if the mail is recorded as sent; r is the mail as
	// marked (r.SentAt set). It runs once per mail: a mail that is already marked (by
	// another dispatcher, or by an earlier attempt whose commit was not acknowledged)
	// does not run it again. If it fails, the transaction rolls back, the mail stays
	// unmarked, and marking it (with OnSent) is retried before anything else is sent;
	// the mail is not sent again. It must use only tx and must not call the network
	// (no transaction holds a network call): it may be retried, and it delays every
	// other mail while it keeps failing.
	OnSent func(ctx context.Context, tx pgx.Tx, r Record) error
}

func (c *DispatcherConfig) defaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 200 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
}

// backoff is min(base*2^attempts, limit), without overflow.
func backoff(base, limit time.Duration, attempts int) time.Duration {
	d := base
	for i := 0; i < attempts && d < limit; i++ {
		if d > limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

// Dispatcher sends committed, unsent mails (woken by NOTIFY, polling fallback), marks
// them sent, retries failures with exponential back-off (forever; the error is kept on
// the row), and exposes metrics pitstop_mail_sent_total, pitstop_mail_failures_total,
// pitstop_mail_pending (const label "mailbox"=schema).
//
// Each mail is claimed with a lease in one statement, sent with no transaction open,
// then marked sent in a transaction of its own, which also runs DispatcherConfig.OnSent
// (once per mail, committed with the mark); any number of dispatchers may share a
// schema. Due mails are sent one at a time, oldest due first. A failed mail is retried
// after min(MinBackoff*2^(failed attempts before), MaxBackoff). After any failure the
// dispatcher also pauses (MinBackoff doubling while failures continue, capped by
// MaxBackoff and PollInterval) before trying another mail, so a mail server outage
// costs about one connection attempt per pause rather than one per queued mail. It
// never stops because of a failure, of SMTP or of Postgres.
type Dispatcher struct {
	pool   *pgxpool.Pool
	schema string
	sender Sender
	cfg    DispatcherConfig
	log    *slog.Logger
	m      *dispatcherMetrics
	// transient tracks infrastructure faults (SMTP or Postgres down) for /readyz.
	transient *faults.Tracker
	// unmarked holds mails the sender accepted but that could not be marked sent
	// (Postgres gone, or OnSent failed); marking them is retried before anything else
	// is sent, and their leases are renewed meanwhile.
	unmarked []claimed
}

type dispatcherMetrics struct {
	sent     prometheus.Counter
	failures prometheus.Counter
	pending  prometheus.Gauge
}

// NewDispatcher returns a dispatcher for schema's mail outbox (pool's search_path must
// be schema) that delivers through s. log and reg may be nil; reg must not already
// hold a dispatcher for the same schema.
func NewDispatcher(pool *pgxpool.Pool, schema string, s Sender, cfg DispatcherConfig, log *slog.Logger, reg prometheus.Registerer) *Dispatcher {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	cl := prometheus.Labels{"mailbox": schema}
	m := &dispatcherMetrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_mail_sent_total",
			Help: "Mails accepted by the mail server (or written by the file sender).", ConstLabels: cl}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_mail_failures_total",
			Help: "Failed attempts to send a mail (each is retried).", ConstLabels: cl}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pitstop_mail_pending",
			Help: "Committed mails not sent yet.", ConstLabels: cl}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.failures, m.pending)
	}
	log = log.With("mailbox", schema)
	return &Dispatcher{pool: pool, schema: schema, sender: s, cfg: cfg, log: log, m: m,
		transient: faults.NewTracker(reg, "pitstop_mail_transient_failures_total",
			"Infrastructure faults met by the mail dispatcher (SMTP or Postgres unreachable), by reason.", cl, log)}
}

// Ready reports the last infrastructure fault while the dispatcher has not worked
// since (for /readyz), else nil.
func (d *Dispatcher) Ready(context.Context) error {
	if err := d.transient.Err(); err != nil {
		return fmt.Errorf("mail dispatcher %s backing off: %w", d.schema, err)
	}
	return nil
}

// noteFault counts err as a transient failure: SMTP when the send failed, else by its
// classification (Postgres).
func (d *Dispatcher) noteFault(err error, smtp bool) {
	reason, ok := faults.Classify(err)
	switch {
	case smtp && (!ok || reason == faults.Network || reason == faults.Timeout):
		reason = faults.SMTPUnavailable
	case !ok:
		reason = faults.PostgresUnavailable
	}
	d.transient.Failed(reason, err)
}

// Run sends mails until ctx is cancelled, then returns nil. Failures of the mail
// server or of Postgres are logged and retried; they never end Run. Call Run once per
// Dispatcher (run several Dispatchers for several workers).
func (d *Dispatcher) Run(ctx context.Context) error {
	lctx, stopListening := context.WithCancel(ctx)
	wake := postgres.Listen(lctx, d.pool, Channel(d.schema), d.log.With("component", "mail dispatcher"))
	defer func() {
		stopListening()
		for range wake { // until the listener has closed its connection
		}
	}()

	failStreak := 0 // consecutive failed sends or database errors
	for {
		wait, failed, err := d.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err != nil:
			failStreak++
			wait = d.pause(failStreak)
			if faults.IsTransient(err) {
				d.noteFault(err, false)
			} else {
				d.log.Warn("mail dispatcher: database or OnSent error; retrying", "err", err, "retry_in", wait)
			}
		case failed:
			failStreak++
			wait = d.pause(failStreak)
		default:
			failStreak = 0
			d.transient.Succeeded()
		}
		timer := time.NewTimer(wait)
		if failStreak > 0 {
			// Pausing after a failure: a new mail must not hammer a server that is down.
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
		} else {
			select {
			case <-ctx.Done():
			case <-timer.C:
			case <-wake:
			}
		}
		timer.Stop()
		if ctx.Err() != nil {
			return nil
		}
	}
}

// pause is how long the dispatcher rests after the n-th consecutive failure:
// MinBackoff doubling, at most MaxBackoff and at most PollInterval (the per-mail
// back-off, not this pause, spaces out the retries of one mail).
func (d *Dispatcher) pause(n int) time.Duration {
	return min(backoff(d.cfg.MinBackoff, d.cfg.MaxBackoff, n-1), d.cfg.PollInterval)
}

// drain sends due mails until none is due, a send fails (failed), or Postgres fails
// (err). It returns how long to wait before the next look when nothing failed: until
// the earliest pending mail becomes due, at most PollInterval.
func (d *Dispatcher) drain(ctx context.Context) (wait time.Duration, failed bool, err error) {
	if err := d.markUnmarked(ctx); err != nil {
		return 0, false, err
	}
	for ctx.Err() == nil {
		// The claim runs to completion even if ctx is cancelled meanwhile: a lease
		// taken by a cancelled statement would otherwise hold the mail until it ran out.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		row, ok, err := d.claim(cctx)
		cancel()
		if err != nil {
			return 0, false, err
		}
		if !ok {
			break
		}
		if ctx.Err() != nil {
			d.release(context.WithoutCancel(ctx), row)
			return 0, false, nil
		}
		sendCtx, cancel := context.WithTimeout(ctx, d.cfg.Lease/2)
		sendErr := d.sender.Send(sendCtx, row.msg)
		cancel()
		if sendErr != nil {
			if ctx.Err() != nil {
				// Shutting down: give the mail back without counting an attempt.
				d.release(context.WithoutCancel(ctx), row)
				return 0, false, nil
			}
			d.m.failures.Inc()
			d.noteFault(sendErr, true)
			delay := backoff(d.cfg.MinBackoff, d.cfg.MaxBackoff, row.attempts)
			d.log.Warn("mail not sent; will retry", "message_id", row.msg.ID, "attempts", row.attempts+1,
				"retry_in", delay, "err", sendErr)
			// Recorded even if ctx is cancelled meanwhile: an unrecorded failure would
			// keep the lease, and the mail would wait for it to run out.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := d.recordFailure(rctx, row, sendErr, delay)
			rcancel()
			if err != nil {
				return 0, true, err
			}
			if _, err := d.refreshPending(ctx); err != nil {
				return 0, true, err
			}
			return 0, true, nil
		}
		d.m.sent.Inc()
		d.log.Info("mail sent", "message_id", row.msg.ID, "attempts", row.attempts+1)
		// Marking must happen even when ctx was cancelled during the send: the mail
		// left, and not recording it would send it again.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = d.markSent(mctx, row.id)
		if err != nil {
			d.renewLease(mctx, &row)
			d.unmarked = append(d.unmarked, row)
		}
		cancel()
		if err != nil {
			return 0, false, err
		}
	}
	if ctx.Err() != nil {
		return 0, false, nil
	}
	next, err := d.refreshPending(ctx)
	if err != nil {
		return 0, false, err
	}
	return min(max(next, 0), d.cfg.PollInterval), false, nil
}

type claimed struct {
	id       int64
	msg      Message
	attempts int
	lease    time.Time
}

// claim takes the lease of the next due mail, if any.
func (d *Dispatcher) claim(ctx context.Context) (claimed, bool, error) {
	var c claimed
	err := d.pool.QueryRow(ctx, `UPDATE mail_outbox SET locked_until = now() + $1::bigint * interval '1 microsecond'
		WHERE id = (
			SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
			ORDER BY next_attempt_at, id
			LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING id, message_id, from_address, to_addresses, subject, text_body, html_body, attempts, locked_until`,
		d.cfg.Lease.Microseconds()).
		Scan(&c.id, &c.msg.ID, &c.msg.From, &c.msg.To, &c.msg.Subject, &c.msg.Text, &c.msg.HTML, &c.attempts, &c.lease)
	if errors.Is(err, pgx.ErrNoRows) {
		return claimed{}, false, nil
	}
	if err != nil {
		return claimed{}, false, fmt.Errorf("claim mail: %w", err)
	}
	return c, true, nil
}

// markSent records, in one transaction, that the mail server accepted mail id and runs
// OnSent. The UPDATE changes a row only the first time (sent_at IS NULL), so OnSent runs
// once per mail, whoever marks it and however often marking is retried. On error
// nothing is committed.
func (d *Dispatcher) markSent(ctx context.Context, id int64) error {
	return postgres.WithTx(ctx, d.pool, func(tx pgx.Tx) error {
		r, err := scanRecord(tx.QueryRow(ctx, `UPDATE mail_outbox SET sent_at = now(), locked_until = NULL
			WHERE id = $1 AND sent_at IS NULL
			RETURNING `+recordColumns, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // already marked: by another dispatcher, or by an unacknowledged commit of ours
		}
		if err != nil {
			return fmt.Errorf("mark mail %d sent: %w", id, err)
		}
		if d.cfg.OnSent == nil {
			return nil
		}
		if err := d.cfg.OnSent(ctx, tx, r); err != nil {
			return fmt.Errorf("mark mail %s sent: OnSent: %w", r.ID, err)
		}
		return nil
	})
}

// markUnmarked retries marking the mails that were sent but not marked, in order,
// renewing the lease of a mail whose marking fails again.
func (d *Dispatcher) markUnmarked(ctx context.Context) error {
	for len(d.unmarked) > 0 {
		c := &d.unmarked[0]
		if err := d.markSent(ctx, c.id); err != nil {
			d.renewLease(ctx, c)
			return err
		}
		d.log.Info("sent mail marked after a retry", "message_id", c.msg.ID)
		d.unmarked = d.unmarked[1:]
	}
	return nil
}

// renewLease extends this dispatcher's lease of a sent but unmarked mail, so that no
// other dispatcher takes it over and sends it again while marking is retried (best
// effort: with Postgres gone it fails, and an expired lease is what a crash leaves
// too). A lease that another dispatcher has taken since is left alone.
func (d *Dispatcher) renewLease(ctx context.Context, c *claimed) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var lease time.Time
	err := d.pool.QueryRow(ctx, `UPDATE mail_outbox SET locked_until = now() + $3::bigint * interval '1 microsecond'
		WHERE id = $1 AND sent_at IS NULL AND locked_until = $2
		RETURNING locked_until`, c.id, c.lease, d.cfg.Lease.Microseconds()).Scan(&lease)
	if err == nil {
		c.lease = lease
	}
}

// recordFailure counts the attempt, keeps the error and schedules the retry, if this
// dispatcher still holds the lease (otherwise another one has taken the mail over).
func (d *Dispatcher) recordFailure(ctx context.Context, c claimed, sendErr error, delay time.Duration) error {
	if _, err := d.pool.Exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2,
			next_attempt_at = now() + $3::bigint * interval '1 microsecond', locked_until = NULL
		WHERE id = $1 AND sent_at IS NULL AND locked_until = $4`,
		c.id, sendErr.Error(), delay.Microseconds(), c.lease); err != nil {
		return fmt.Errorf("record failure of mail %s: %w", c.msg.ID, err)
	}
	return nil
}

// release gives a claimed mail back without counting an attempt (best effort: an
// unreleased lease simply runs out).
func (d *Dispatcher) release(ctx context.Context, c claimed) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = d.pool.Exec(ctx, `UPDATE mail_outbox SET locked_until = NULL
		WHERE id = $1 AND sent_at IS NULL AND locked_until = $2`, c.id, c.lease)
}

// refreshPending updates the pending gauge and returns the time until the earliest
// pending mail is due (or PollInterval when none is pending).
func (d *Dispatcher) refreshPending(ctx context.Context) (time.Duration, error) {
	var n int64
	var dueInMicros *int64
	err := d.pool.QueryRow(ctx, `SELECT count(*),
			(extract(epoch FROM min(greatest(next_attempt_at, locked_until, now())) - now()) * 1e6)::bigint
		FROM mail_outbox WHERE sent_at IS NULL`).Scan(&n, &dueInMicros)
	if err != nil {
		return 0, fmt.Errorf("count pending mails: %w", err)
	}
	d.m.pending.Set(float64(n))
	if dueInMicros == nil {
		return d.cfg.PollInterval, nil
	}
	return time.Duration(*dueInMicros) * time.Microsecond, nil
}
