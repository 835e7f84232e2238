package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
)

// RelayConfig tunes a Relay. Zero values take the documented defaults.
type RelayConfig struct {
	// Schema is the schema whose outbox is relayed (required).
	Schema string
	// BatchSize is the most rows claimed and published at once (default 1000).
	BatchSize int
	// PollInterval is the fallback wake-up when no notification arrives (default 500ms).
	PollInterval time.Duration
	// MaxAttempts is how many counted publish failures move a row to the dead-letter
	// table (default 10). Failures during a broker outage are not counted.
	MaxAttempts int
	// AckTimeout bounds the wait for a batch's PubAcks (default 5s).
	AckTimeout time.Duration
	// ElectionInterval is how often a standby retries the leader lock (default 1s).
	ElectionInterval time.Duration
	// OnAck, if set, is called for every row acknowledged by JetStream (benchmarks).
	OnAck func(eventID uuid.UUID, ackedAt time.Time)
	// BeforeDelete, if set, runs after a batch's PubAcks and before its rows are
	// deleted; returning an error aborts the relay as a crash would (fault-injection tests).
	BeforeDelete func(ids []int64) error
}

func (c *RelayConfig) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 5 * time.Second
	}
	if c.ElectionInterval <= 0 {
		c.ElectionInterval = time.Second
	}
}

// Relay publishes one schema's outbox to JetStream. Run it in its own process (cmd/cdc)
// or goroutine; any number may run, one leads. It is safe for concurrent use.
type Relay struct {
	pool   *pgxpool.Pool
	nc     *nats.Conn
	js     jetstream.JetStream
	cfg    RelayConfig
	log    *slog.Logger
	m      *relayMetrics
	leader atomic.Bool
}

type relayMetrics struct {
	backlog     prometheus.Gauge
	leader      prometheus.Gauge
	latency     prometheus.Histogram
	published   prometheus.Counter
	failed      prometheus.Counter
	deadLetters prometheus.Counter
}

func newRelayMetrics(reg prometheus.Registerer, schema string) *relayMetrics {
	cl := prometheus.Labels{"outbox": schema}
	m := &relayMetrics{
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pitstop_outbox_backlog",
			Help: "Rows waiting in the outbox.", ConstLabels: cl}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pitstop_outbox_relay_leader",
			Help: "1 while this relay holds the leader lock.", ConstLabels: cl}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pitstop_outbox_relay_latency_seconds",
			Help:        "Time from the outbox insert to the JetStream PubAck.",
			ConstLabels: cl, Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_outbox_published_total",
			Help: "Rows acknowledged by JetStream.", ConstLabels: cl}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_outbox_publish_failures_total",
			Help: "Failed publish attempts.", ConstLabels: cl}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_outbox_dead_lettered_total",
			Help: "Rows moved to the outbox dead-letter table.", ConstLabels: cl}),
	}
	if reg != nil {
		reg.MustRegister(m.backlog, m.leader, m.latency, m.published, m.failed, m.deadLetters)
	}
	return m
}

// NewRelay builds a relay for cfg.Schema's outbox. reg may be nil.
func NewRelay(pool *pgxpool.Pool, nc *nats.Conn, cfg RelayConfig, log *slog.Logger, reg prometheus.Registerer) (*Relay, error) {
	cfg.defaults()
	if cfg.Schema == "" {
		return nil, errors.New("outbox relay: schema is required")
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(4*cfg.BatchSize),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("outbox relay: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Relay{pool: pool, nc: nc, js: js, cfg: cfg, log: log.With("outbox", cfg.Schema),
		m: newRelayMetrics(reg, cfg.Schema)}, nil
}

// IsLeader reports whether this relay currently holds the leader lock.
func (r *Relay) IsLeader() bool { return r.leader.Load() }

// Ready reports whether Postgres and NATS are reachable (for /readyz).
func (r *Relay) Ready(ctx context.Context) error {
	if r.nc.Status() != nats.CONNECTED {
		return fmt.Errorf("nats %s", r.nc.Status())
	}
	var one int
	return r.pool.QueryRow(ctx, `SELECT 1`).Scan(&one)
}

// errAborted marks a batch aborted by the BeforeDelete hook.
var errAborted = errors.New("relay aborted by hook")

// Run elects, then relays until ctx is cancelled. It returns nil on cancellation and an
// error only when a BeforeDelete hook aborts it; every other failure (Postgres or NATS
// gone) drops leadership, waits, and tries again.
func (r *Relay) Run(ctx context.Context) error {
	go r.watchBacklog(ctx)
	for ctx.Err() == nil {
		err := r.electAndLead(ctx)
		if errors.Is(err, errAborted) {
			return err
		}
		if err != nil && ctx.Err() == nil {
			r.log.Warn("outbox relay lost leadership or failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.cfg.ElectionInterval):
		}
	}
	return nil
}

func (r *Relay) lockKey() string { return "pitstop-outbox-relay-" + r.cfg.Schema }

func (r *Relay) electAndLead(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, r.lockKey()).Scan(&got); err != nil {
		return fmt.Errorf("try lock: %w", err)
	}
	if !got {
		return nil // standby: someone else leads
	}
	r.leader.Store(true)
	r.m.leader.Set(1)
	r.log.Info("outbox relay is leader")
	defer func() {
		r.leader.Store(false)
		r.m.leader.Set(0)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{Channel(r.cfg.Schema)}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return r.lead(ctx, conn)
}

func (r *Relay) lead(ctx context.Context, lockConn *pgx.Conn) error {
	backoff := time.Duration(0)
	var checked time.Time
	for {
		// Drain everything that is ready.
		for {
			// Confirm leadership (the lock lives as long as this connection) at least
			// once a second during a long drain; a lost lock can only cause duplicates
			// until then, which the duplicate window and the inboxes absorb.
			if time.Since(checked) > time.Second {
				if _, err := lockConn.Exec(ctx, `SELECT 1`); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("leader connection: %w", err)
				}
				checked = time.Now()
			}
			n, outage, err := r.relayBatch(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if outage {
				// NATS is unreachable or not ready: back off, no attempts counted.
				backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(backoff):
				}
				continue
			}
			backoff = 0
			if n < r.cfg.BatchSize {
				break
			}
		}
		wctx, cancel := context.WithTimeout(ctx, r.cfg.PollInterval)
		_, err := lockConn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, context.DeadlineExceeded) || wctx.Err() != nil {
				continue // polling fallback
			}
			return fmt.Errorf("wait for notification: %w", err)
		}
	}
}

type row struct {
	id        int64
	eventID   uuid.UUID
	typ       string
	source    string
	subject   string
	occurred  time.Time
	payload   []byte
	createdAt time.Time
}

// relayBatch publishes one batch. It returns how many rows it read and whether some
// publish failed for a reason that is not the row's (the broker unreachable or not
// ready), in which case the caller backs off before the next batch.
func (r *Relay) relayBatch(ctx context.Context) (int, bool, error) {
	// A row whose publish has failed holds back the later rows of its aggregate (same
	// subject) until it is published or dead-lettered, so that per-aggregate order
	// survives a failed publish; rows of other aggregates flow past it.
	rows, err := r.pool.Query(ctx, `SELECT o.id, o.event_id, o.event_type, o.source, o.subject, o.occurred_at, o.payload, o.created_at
		FROM outbox o
		WHERE o.available_at <= now()
		  AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.attempts > 0 AND o.subject <> ''
		                  AND e.subject = o.subject AND e.id < o.id)
		ORDER BY o.id LIMIT $1`, r.cfg.BatchSize)
	if err != nil {
		return 0, false, fmt.Errorf("claim: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(rw pgx.CollectableRow) (row, error) {
		var x row
		err := rw.Scan(&x.id, &x.eventID, &x.typ, &x.source, &x.subject, &x.occurred, &x.payload, &x.createdAt)
		return x, err
	})
	if err != nil {
		return 0, false, fmt.Errorf("claim: %w", err)
	}
	if len(batch) == 0 {
		return 0, false, nil
	}

	type pending struct {
		row     row
		fut     jetstream.PubAckFuture
		err     error
		skipped bool // held back behind, or itself, a poison row of its aggregate
	}
	ps := make([]pending, len(batch))
	maxPayload := r.nc.MaxPayload()
	var poison []failure
	heldBack := map[string]bool{} // aggregates with a poison row earlier in this batch
	for i, x := range batch {
		ps[i].row = x
		if x.subject != "" && heldBack[x.subject] {
			ps[i].skipped = true // stays in the outbox, published after the poison row is gone
			continue
		}
		env := events.Envelope{ID: x.eventID, Type: x.typ, Source: x.source, Subject: x.subject, Time: x.occurred, Data: x.payload}
		msg := env.Msg()
		if maxPayload > 0 && int64(len(msg.Data)) > maxPayload {
			ps[i].err = fmt.Errorf("payload of %d bytes exceeds the broker's max payload %d", len(msg.Data), maxPayload)
			poison = append(poison, failure{id: x.id, err: ps[i].err, permanent: true})
			heldBack[x.subject] = true
			ps[i].skipped = true // recorded as poison below, never published
			continue
		}
		ps[i].fut, ps[i].err = r.js.PublishMsgAsync(msg)
	}

	var acked []int64
	var failures []failure
	timeout := time.NewTimer(r.cfg.AckTimeout + time.Second)
	defer timeout.Stop()
	for i := range ps {
		p := &ps[i]
		if p.skipped {
			continue
		}
		if p.fut == nil { // PublishMsgAsync itself refused the message
			failures = append(failures, failure{id: p.row.id, subject: p.row.typ, err: p.err})
			continue
		}
		select {
		case <-p.fut.Ok():
			now := time.Now()
			acked = append(acked, p.row.id)
			r.m.latency.Observe(now.Sub(p.row.createdAt).Seconds())
			if r.cfg.OnAck != nil {
				r.cfg.OnAck(p.row.eventID, now)
			}
		case err := <-p.fut.Err():
			failures = append(failures, failure{id: p.row.id, subject: p.row.typ, err: err})
		case <-timeout.C:
			failures = append(failures, failure{id: p.row.id, subject: p.row.typ, err: jetstream.ErrAsyncPublishTimeout})
			// The timer fired once; the remaining futures resolve on their own
			// timeouts, so wait on them without ours.
			timeout.Reset(r.cfg.AckTimeout + time.Second)
		case <-ctx.Done():
			return 0, false, ctx.Err()
		}
	}

	if len(acked) > 0 {
		if r.cfg.BeforeDelete != nil {
			if err := r.cfg.BeforeDelete(acked); err != nil {
				return 0, false, errors.Join(errAborted, err)
			}
		}
		if _, err := r.pool.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1)`, acked); err != nil {
			return 0, false, fmt.Errorf("delete published: %w", err)
		}
		r.m.published.Add(float64(len(acked)))
	}
	r.m.failed.Add(float64(len(failures) + len(poison)))

	// Only failures that say something about the row itself count against it; a broker
	// outage or a JetStream that is still recovering its streams must not walk healthy
	// rows towards the dead-letter table. Uncounted failures make the relay back off.
	var counted []failure
	transient := false
	routable := map[string]bool{}
	for _, f := range failures {
		if r.countable(ctx, f, routable) {
			counted = append(counted, f)
		} else {
			transient = true
		}
	}
	if err := r.recordFailures(ctx, append(counted, poison...)); err != nil {
		return 0, false, err
	}
	return len(batch), transient, nil
}

type failure struct {
	id        int64
	subject   string // the NATS subject (event type) the row was published to
	err       error
	permanent bool
}

// countable reports whether a publish failure counts against its row. Connection-level
// errors (timeouts, disconnects, a full async window) never do. "No responders" counts
// only when no stream captures the row's subject (a poison row); when one does, the
// broker's JetStream was not ready (say, recovering after a restart). routable caches
// the stream look-ups of one batch.
func (r *Relay) countable(ctx context.Context, f failure, routable map[string]bool) bool {
	if r.nc.Status() != nats.CONNECTED {
		return false
	}
	if errors.Is(f.err, jetstream.ErrAsyncPublishTimeout) || errors.Is(f.err, nats.ErrTimeout) ||
		errors.Is(f.err, nats.ErrConnectionClosed) || errors.Is(f.err, nats.ErrDisconnected) ||
		errors.Is(f.err, jetstream.ErrTooManyStalledMsgs) || errors.Is(f.err, context.DeadlineExceeded) {
		return false
	}
	if !errors.Is(f.err, jetstream.ErrNoStreamResponse) && !errors.Is(f.err, nats.ErrNoResponders) {
		return true
	}
	ok, seen := routable[f.subject]
	if !seen {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := r.js.StreamNameBySubject(lctx, f.subject)
		cancel()
		switch {
		case err == nil:
			ok = true
		case errors.Is(err, jetstream.ErrStreamNotFound):
			ok = false
		default:
			return false // JetStream's API is not answering: an outage, not the row
		}
		routable[f.subject] = ok
	}
	return !ok
}

// recordFailures counts an attempt against each failed row, schedules its retry with
// exponential back-off, and moves rows out of attempts to the dead-letter table, all
// in one transaction.
func (r *Relay) recordFailures(ctx context.Context, fs []failure) error {
	if len(fs) == 0 {
		return nil
	}
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record failures: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var dead int
	for _, f := range fs {
		attempts := r.cfg.MaxAttempts
		if !f.permanent {
			if err := tx.QueryRow(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
				available_at = now() + least(interval '50 milliseconds' * power(2, attempts), interval '5 seconds')
				WHERE id = $1 RETURNING attempts`, f.id, f.err.Error()).Scan(&attempts); err != nil {
				return fmt.Errorf("record failure of row %d: %w", f.id, err)
			}
		}
		r.log.Warn("outbox publish failed", "row", f.id, "attempts", attempts, "err", f.err)
		if attempts >= r.cfg.MaxAttempts {
			tag, err := tx.Exec(ctx, `WITH moved AS (DELETE FROM outbox WHERE id = $1 RETURNING *)
				INSERT INTO outbox_dead_letter (id, event_id, event_type, source, subject, occurred_at, payload, created_at, attempts, error)
				SELECT id, event_id, event_type, source, subject, occurred_at, payload, created_at, $2, $3 FROM moved`,
				f.id, attempts, f.err.Error())
			if err != nil {
				return fmt.Errorf("dead-letter row %d: %w", f.id, err)
			}
			dead += int(tag.RowsAffected())
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record failures: commit: %w", err)
	}
	if dead > 0 {
		r.m.deadLetters.Add(float64(dead))
		r.log.Error("outbox rows dead-lettered", "count", dead)
	}
	return nil
}

func (r *Relay) watchBacklog(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		var n int64
		if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err == nil {
			r.m.backlog.Set(float64(n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
