package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/faults"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// ErrPermanent, wrapped by a handler's error, sends the message straight to the
// dead-letter table: retrying cannot help (for example an undecodable body). Handlers
// mark their errors with Permanent.
var ErrPermanent = errors.New("permanent failure")

// HeaderRequeued marks a copy of a dead-lettered message put back on the stream by an
// operator (its value is the dead letter's id); Nats-Msg-Id differs from the original's
// so the stream's duplicate window does not drop it, while the inbox still knows the
// event id.
const HeaderRequeued = "pitstop-requeued"

// Handler applies one event's effect inside tx, the same transaction that records the
// event id in the inbox. Returning nil commits both and acks; returning an error rolls
// both back and the message is redelivered with back-off. Only a real failure counts
// toward dead-lettering (an infrastructure fault never does: faults.Classify).
// Handlers must not publish or call the network: write to the outbox. A context's
// handler is written against its transaction-bound store and adapted with Bind; it
// marks the errors retrying cannot cure with Permanent.
type Handler func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error

// ConsumerConfig declares a durable consumer. Zero values take the documented defaults.
type ConsumerConfig struct {
	// Name is the durable consumer name and the inbox key (required, unique).
	Name string
	// FilterSubjects selects the events the handler receives (default: every pitstop
	// event). The durable consumer itself receives every event of each context named
	// here (pitstop.<context>.>), so that it sees each aggregate's whole sequence; the
	// events the handler does not want only advance the sequence.
	FilterSubjects []string
	// MaxDeliver bounds the real failures (a handler that ran and failed) of one
	// event: at the MaxDeliver-th it is dead-lettered (default 6). Deliveries that met
	// an infrastructure fault or waited for their predecessor do not count.
	MaxDeliver int
	// Backoff is the redelivery delay after the n-th real failure; the last entry
	// repeats (default 100ms, 500ms, 2s, 5s, 10s).
	Backoff []time.Duration
	// MaxWait caps the redelivery delay of an event waiting for its predecessor or
	// delivered during an infrastructure fault (default 5s; jittered).
	MaxWait time.Duration
	// AckWait is how long the server waits for an ack before redelivering (default 10s):
	// how long the messages held by a replica that died wait before another gets them.
	AckWait time.Duration
	// OnHandled, if set, is called in the effect's transaction after the handler
	// succeeded (tests record the order in which events were applied).
	OnHandled func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error
}

func (c *ConsumerConfig) defaults() {
	if len(c.FilterSubjects) == 0 {
		c.FilterSubjects = StreamSubjects
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 6
	}
	if len(c.Backoff) == 0 {
		c.Backoff = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second, 5 * time.Second, 10 * time.Second}
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 5 * time.Second
	}
	if c.AckWait <= 0 {
		c.AckWait = 10 * time.Second
	}
}

// streamFilter widens the handler's subjects to whole contexts (pitstop.<ctx>.>).
func streamFilter(subjects []string) []string {
	var out []string
	for _, s := range subjects {
		parts := strings.Split(s, ".")
		if len(parts) >= 3 && parts[0] == "pitstop" && parts[1] != "*" && parts[1] != ">" {
			s = "pitstop." + parts[1] + ".>"
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	// A catch-all makes every other filter redundant (and overlapping filters are refused).
	for _, s := range out {
		if s == "pitstop.>" || s == ">" {
			return []string{s}
		}
	}
	return out
}

// Consumer runs one durable JetStream consumer and its handler.
//
// Guarantees: every effect happens once per event id (the inbox); the events of one
// aggregate are applied in their sequence order (pitstop-seq) whatever the broker
// redelivers and however many replicas share the durable consumer: an event ahead of
// its predecessor waits (nak with delay, not a failure), an older or equal one is a
// duplicate. An aggregate whose event is dead-lettered is parked (its later events
// wait) until an operator requeues or skips the dead letter.
type Consumer struct {
	pool      *pgxpool.Pool
	js        jetstream.JetStream
	cfg       ConsumerConfig
	filter    []string
	handler   Handler
	log       *slog.Logger
	m         *consumerMetrics
	transient *faults.Tracker
}

type consumerMetrics struct {
	processed, duplicates, failures, redeliveries, deadLetters, waits prometheus.Counter
	lag, unresolved, parked                                           prometheus.Gauge
}

func newConsumerMetrics(reg prometheus.Registerer, name string) *consumerMetrics {
	cl := prometheus.Labels{"consumer": name}
	c := func(n, h string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: n, Help: h, ConstLabels: cl})
	}
	g := func(n, h string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: n, Help: h, ConstLabels: cl})
	}
	m := &consumerMetrics{
		processed:    c("pitstop_consumer_processed_total", "Events whose effect was committed."),
		duplicates:   c("pitstop_consumer_duplicates_total", "Deliveries of events already applied (no effect)."),
		failures:     c("pitstop_consumer_failures_total", "Real handler failures (rolled back, counted toward dead-lettering)."),
		redeliveries: c("pitstop_consumer_redeliveries_total", "Deliveries with a delivery count above one."),
		deadLetters:  c("pitstop_consumer_dead_lettered_total", "Messages moved to the consumer dead-letter table."),
		waits:        c("pitstop_consumer_out_of_order_total", "Deliveries that arrived ahead of their aggregate's predecessor and were put back to wait."),
		lag:          g("pitstop_consumer_lag", "Messages not yet delivered or not yet acknowledged."),
		unresolved:   g("pitstop_consumer_dead_letters", "Dead letters of this consumer not yet requeued or skipped."),
		parked:       g("pitstop_consumer_parked_aggregates", "Aggregates whose events wait behind an unresolved dead letter."),
	}
	if reg != nil {
		reg.MustRegister(m.processed, m.duplicates, m.failures, m.redeliveries, m.deadLetters, m.waits, m.lag, m.unresolved, m.parked)
	}
	return m
}

// NewConsumer builds a consumer; the inbox tables must exist in the pool's schema
// (Migrate). reg may be nil.
func NewConsumer(pool *pgxpool.Pool, js jetstream.JetStream, cfg ConsumerConfig, h Handler, log *slog.Logger, reg prometheus.Registerer) (*Consumer, error) {
	if cfg.Name == "" || h == nil {
		return nil, errors.New("consumer: name and handler are required")
	}
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	log = log.With("consumer", cfg.Name)
	return &Consumer{pool: pool, js: js, cfg: cfg, filter: streamFilter(cfg.FilterSubjects), handler: h, log: log,
		m: newConsumerMetrics(reg, cfg.Name),
		transient: faults.NewTracker(reg, "pitstop_consumer_transient_failures_total",
			"Infrastructure faults met while handling (never counted toward dead-lettering), by reason.",
			prometheus.Labels{"consumer": cfg.Name}, log)}, nil
}

// Name is the durable consumer name.
func (c *Consumer) Name() string { return c.cfg.Name }

// Ready reports the last infrastructure fault while the consumer has not handled a
// message since (for /readyz), else nil.
func (c *Consumer) Ready(context.Context) error {
	if err := c.transient.Err(); err != nil {
		return fmt.Errorf("consumer %s backing off: %w", c.cfg.Name, err)
	}
	return nil
}

// Run declares the durable consumer (idempotently) and handles messages until ctx is
// cancelled. Broker errors are retried; Run returns nil on cancellation.
func (c *Consumer) Run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		err := c.run(ctx)
		if errors.Is(err, errStandby) {
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if err == nil || ctx.Err() != nil {
			failures = 0
			continue
		}
		failures++
		if reason, ok := faults.Classify(err); ok {
			c.transient.Failed(reason, err)
		} else {
			c.log.Warn("consumer stopped; restarting", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(faults.Backoff(250*time.Millisecond, c.cfg.MaxWait, failures)):
		}
	}
	return nil
}

// Declare creates or updates the durable consumer. A consumer repositioned by an
// operator (replay from a sequence or a time) keeps its start position.
func (c *Consumer) Declare(ctx context.Context) (jetstream.Consumer, error) {
	return DeclareConsumer(ctx, c.js, c.cfg.Name, c.filter, c.cfg.AckWait)
}

// DeclareConsumer creates or updates the durable consumer name on the Pitstop stream,
// keeping the deliver policy and start position of an existing one.
func DeclareConsumer(ctx context.Context, js jetstream.JetStream, name string, filter []string, ackWait time.Duration) (jetstream.Consumer, error) {
	if err := EnsureStreams(ctx, js); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        name,
		FilterSubjects: filter,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		// The server redelivers without limit; the consumer itself dead-letters an
		// event after MaxDeliver real failures. A server-side limit would silently drop
		// a message whose deliveries met only outages (no dead letter, no effect).
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}
	if existing, err := js.Consumer(ctx, StreamName, name); err == nil {
		info := existing.CachedInfo()
		cfg.DeliverPolicy = info.Config.DeliverPolicy
		cfg.OptStartSeq = info.Config.OptStartSeq
		cfg.OptStartTime = info.Config.OptStartTime
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("declare consumer %s: %w", name, err)
	}
	return cons, nil
}

// errStandby: another replica of this consumer is active.
var errStandby = errors.New("standby")

// errLostLock: this replica's session (and with it its lock) is gone.
var errLostLock = errors.New("lost the consumer lock")

// run consumes while this replica holds the consumer's lock: one replica of a durable
// consumer is active at a time (a Postgres advisory lock on a dedicated session, as for
// the relays), the others stand by and take over within a second when it dies. Within
// the active replica messages are applied one at a time in stream order, so an
// aggregate's events only wait after a failure or a redelivery.
func (c *Consumer) run(ctx context.Context) error {
	lock, err := pgx.ConnectConfig(ctx, c.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("consumer lock: %w", err)
	}
	defer lock.Close(context.WithoutCancel(ctx))
	var got bool
	if err := lock.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, "pitstop-consumer-"+c.cfg.Name).Scan(&got); err != nil {
		return fmt.Errorf("consumer lock: %w", err)
	}
	if !got {
		return errStandby
	}
	c.log.Info("consumer is active")
	cons, err := c.Declare(ctx)
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.cfg.Name, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var lost atomic.Bool
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				it.Stop()
				return
			case <-t.C:
				if _, err := lock.Exec(rctx, `SELECT 1`); err != nil && rctx.Err() == nil {
					lost.Store(true)
					it.Stop()
					return
				}
			}
		}
	}()
	go c.watch(rctx, cons)
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				return nil
			}
			if lost.Load() {
				return errLostLock
			}
			return fmt.Errorf("next message: %w", err)
		}
		c.handle(ctx, msg)
	}
}

func (c *Consumer) watch(ctx context.Context, cons jetstream.Consumer) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if info, err := cons.Info(ctx); err == nil {
			c.m.lag.Set(float64(info.NumPending + uint64(info.NumAckPending)))
		}
		var dead, parked int64
		if err := c.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT aggregate) FILTER (WHERE aggregate <> '')
			FROM consumer_dead_letter WHERE consumer = $1 AND resolved_at IS NULL`, c.cfg.Name).Scan(&dead, &parked); err == nil {
			c.m.unresolved.Set(float64(dead))
			c.m.parked.Set(float64(parked))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var errDuplicate = errors.New("duplicate event")

// waitError is an event ahead of its aggregate's predecessor.
type waitError struct{ have, want int64 }

func (e *waitError) Error() string {
	return fmt.Sprintf("event seq %d arrived before seq %d of its aggregate", e.have, e.want)
}

// IsStateTransfer reports whether an event type carries its aggregate's whole state
// (pitstop.<context>.<Entity>StateTransferred, written by `pitstop republish`). Such an
// event is applied even when earlier events of its aggregate never reached this
// consumer (the stream's retention dropped them, or the consumer is new): it replaces
// what they would have built. Older or equal positions are still duplicates.
func IsStateTransfer(eventType string) bool { return strings.HasSuffix(eventType, "StateTransferred") }

// AggregateKey is the inbox's name for an event's aggregate: its context and subject
// (ids of different contexts may be equal).
func AggregateKey(ev events.Envelope) string {
	ctx := ev.Type
	if parts := strings.SplitN(ev.Type, ".", 3); len(parts) == 3 {
		ctx = parts[1]
	}
	return ctx + "/" + ev.Subject
}

func (c *Consumer) wants(subject string) bool {
	for _, f := range c.cfg.FilterSubjects {
		if subjectMatches(f, subject) {
			return true
		}
	}
	return false
}

func (c *Consumer) handle(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		c.log.Error("message without metadata", "err", err)
		_ = msg.Term()
		return
	}
	delivered := int(meta.NumDelivered)
	if delivered > 1 {
		c.m.redeliveries.Inc()
	}
	env, err := events.FromMsg(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		c.deadLetter(ctx, msg, meta, events.Envelope{}, fmt.Errorf("%w: %w", ErrPermanent, err), nil)
		return
	}
	log := c.log.With("event_id", env.ID, "type", env.Type, "seq", env.Seq, "delivery", delivered)
	requeued := msg.Headers().Get(HeaderRequeued) != ""
	aggregate := ""
	if env.Seq > 0 && env.Subject != "" {
		aggregate = AggregateKey(env)
	}
	err = postgres.WithTx(ctx, c.pool, func(tx pgx.Tx) error {
		if aggregate != "" {
			// Lock the aggregate's position first (replicas of this consumer serialise
			// here), so the inbox row below is numbered in application order.
			var last int64
			if err := tx.QueryRow(ctx, `INSERT INTO inbox_sequence AS s (consumer, aggregate, last_seq) VALUES ($1, $2, 0)
				ON CONFLICT (consumer, aggregate) DO UPDATE SET last_seq = s.last_seq RETURNING last_seq`,
				c.cfg.Name, aggregate).Scan(&last); err != nil {
				return fmt.Errorf("inbox sequence: %w", err)
			}
			switch {
			case env.Seq <= last:
				return errDuplicate
			case env.Seq > last+1 && !IsStateTransfer(env.Type):
				return &waitError{have: env.Seq, want: last + 1}
			}
			if _, err := tx.Exec(ctx, `UPDATE inbox_sequence SET last_seq = $3 WHERE consumer = $1 AND aggregate = $2`,
				c.cfg.Name, aggregate, env.Seq); err != nil {
				return fmt.Errorf("inbox sequence: %w", err)
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO inbox (consumer, event_id, event_type, aggregate, seq) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, c.cfg.Name, env.ID, env.Type, aggregate, env.Seq)
		if err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errDuplicate
		}
		if c.wants(env.Type) {
			if err := c.call(ctx, tx, env); err != nil {
				return err
			}
		}
		if c.cfg.OnHandled != nil {
			if err := c.cfg.OnHandled(ctx, tx, env); err != nil {
				return err
			}
		}
		if delivered > 1 || requeued {
			// Earlier failures and dead letters of this event are settled by this success.
			if _, err := tx.Exec(ctx, `DELETE FROM consumer_failure WHERE consumer = $1 AND event_id = $2`, c.cfg.Name, env.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE consumer_dead_letter SET resolved_at = now(), resolution = 'requeued'
				WHERE consumer = $1 AND event_id = $2 AND resolved_at IS NULL`, c.cfg.Name, env.ID.String()); err != nil {
				return err
			}
		}
		return nil
	})
	var wait *waitError
	switch {
	case err == nil:
		c.m.processed.Inc()
		c.transient.Succeeded()
		if err := msg.Ack(); err != nil {
			// The effect is committed; a redelivery will be recognised as a duplicate.
			log.Warn("ack failed", "err", err)
		}
		log.Debug("event processed")
	case errors.Is(err, errDuplicate):
		c.m.duplicates.Inc()
		c.transient.Succeeded()
		_ = msg.Ack()
		log.Debug("duplicate event ignored")
	case errors.As(err, &wait):
		c.m.waits.Inc()
		c.transient.Succeeded()
		// The predecessor is in flight (held by a replica, or due for redelivery): come
		// back soon, without growing delays. Only a parked aggregate (its predecessor
		// dead-lettered) waits long, until an operator resolves it.
		delay := faults.Backoff(100*time.Millisecond, 250*time.Millisecond, 2)
		if c.parked(ctx, aggregate) {
			delay = faults.Backoff(c.cfg.MaxWait, c.cfg.MaxWait, 1)
		}
		log.Debug("event waits for its predecessor", "err", err, "retry_in", delay)
		_ = msg.NakWithDelay(delay)
	case ctx.Err() != nil:
		// Shutting down mid-handling: the transaction rolled back, let it be redelivered.
		_ = msg.Nak()
	case errors.Is(err, ErrPermanent):
		c.m.failures.Inc()
		c.deadLetter(ctx, msg, meta, env, err, nil)
	case faults.IsTransient(err):
		reason, _ := faults.Classify(err)
		c.transient.Failed(reason, err)
		_ = msg.NakWithDelay(faults.Backoff(100*time.Millisecond, c.cfg.MaxWait, delivered))
	default:
		c.m.failures.Inc()
		c.failed(ctx, msg, meta, env, err, log)
	}
}

// parked reports whether the aggregate waits behind an unresolved dead letter of this
// consumer.
func (c *Consumer) parked(ctx context.Context, aggregate string) bool {
	var parked bool
	err := c.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consumer_dead_letter
		WHERE consumer = $1 AND aggregate = $2 AND resolved_at IS NULL)`, c.cfg.Name, aggregate).Scan(&parked)
	return err == nil && parked
}

// call runs the handler; a panic is the handler's failure, not the process's end. The
// handler's context carries the event's actor (events.WithActor), so the events it
// writes in turn name who started the chain.
func (c *Consumer) call(ctx context.Context, tx pgx.Tx, env events.Envelope) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return c.handler(events.WithActor(ctx, env.Actor), tx, env)
}

// failed counts a real failure of the handler and dead-letters the event at the
// MaxDeliver-th; until then it is redelivered after the configured back-off.
func (c *Consumer) failed(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata, env events.Envelope, cause error, log *slog.Logger) {
	var (
		failures int
		times    []time.Time
	)
	err := c.pool.QueryRow(ctx, `INSERT INTO consumer_failure AS f (consumer, event_id, failures, attempt_times, last_error)
		VALUES ($1, $2, 1, ARRAY[now()], $3)
		ON CONFLICT (consumer, event_id) DO UPDATE SET failures = f.failures + 1,
			attempt_times = f.attempt_times || now(), last_error = EXCLUDED.last_error
		RETURNING failures, attempt_times`, c.cfg.Name, env.ID, cause.Error()).Scan(&failures, &times)
	if err != nil {
		// Postgres went away between the handler and here: not the event's fault.
		reason, ok := faults.Classify(err)
		if !ok {
			reason = faults.PostgresUnavailable
		}
		c.transient.Failed(reason, err)
		_ = msg.NakWithDelay(faults.Backoff(100*time.Millisecond, c.cfg.MaxWait, int(meta.NumDelivered)))
		return
	}
	if failures >= c.cfg.MaxDeliver {
		c.deadLetter(ctx, msg, meta, env, cause, times)
		return
	}
	delay := c.cfg.Backoff[min(failures-1, len(c.cfg.Backoff)-1)]
	log.Warn("handler failed; will be redelivered", "err", cause, "failures", failures, "retry_in", delay)
	_ = msg.NakWithDelay(delay)
}

// deadLetter keeps the message whole with the last real error and every attempt's
// time, and terminates it. Its aggregate is parked for this consumer until the dead
// letter is requeued or skipped.
func (c *Consumer) deadLetter(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata, env events.Envelope, reason error, times []time.Time) {
	headers, _ := json.Marshal(msg.Headers())
	if times == nil {
		times = []time.Time{time.Now()}
	}
	aggregate := ""
	if env.Subject != "" && env.Seq > 0 {
		aggregate = AggregateKey(env)
	}
	err := postgres.WithTx(ctx, c.pool, func(tx pgx.Tx) error {
		eventID := msg.Headers().Get(events.HeaderID)
		if _, err := tx.Exec(ctx, `UPDATE consumer_dead_letter SET resolved_at = now(), resolution = 'superseded'
			WHERE consumer = $1 AND event_id = $2 AND resolved_at IS NULL`, c.cfg.Name, eventID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO consumer_dead_letter (consumer, event_id, event_type, subject, aggregate, seq, headers, data,
				deliveries, stream_seq, reason, attempt_times)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, c.cfg.Name, eventID, env.Type, msg.Subject(),
			aggregate, env.Seq, headers, msg.Data(), int(meta.NumDelivered), int64(meta.Sequence.Stream), reason.Error(), times); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM consumer_failure WHERE consumer = $1 AND event_id::text = $2`, c.cfg.Name, eventID)
		return err
	})
	if err != nil {
		// Keep the message: without its dead-letter row it would be lost.
		reason, ok := faults.Classify(err)
		if !ok {
			reason = faults.PostgresUnavailable
		}
		c.transient.Failed(reason, err)
		_ = msg.NakWithDelay(faults.Backoff(100*time.Millisecond, c.cfg.MaxWait, int(meta.NumDelivered)))
		return
	}
	c.m.deadLetters.Inc()
	c.log.Error("message dead-lettered", "subject", msg.Subject(), "event_id", msg.Headers().Get(events.HeaderID),
		"aggregate", aggregate, "seq", env.Seq, "reason", reason)
	_ = msg.TermWithReason(reason.Error())
}
