package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// ErrPermanent, wrapped by a handler's error, sends the message straight to the
// dead-letter table: retrying cannot help (for example an undecodable body).
var ErrPermanent = errors.New("permanent failure")

// Handler applies one event's effect inside tx, the same transaction that records the
// event id in the inbox. Returning nil commits both and acks; returning an error rolls
// both back and the message is redelivered with back-off, until MaxDeliver, when it is
// dead-lettered. Handlers must not publish or call the network: write to the outbox.
type Handler func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error

// ConsumerConfig declares a durable consumer. Zero values take the documented defaults.
type ConsumerConfig struct {
	// Name is the durable consumer name and the inbox key (required, unique).
	Name string
	// FilterSubjects selects the events (default: every pitstop event).
	FilterSubjects []string
	// MaxDeliver bounds the deliveries that run the handler (default 6): a message still
	// failing on its MaxDeliver-th delivery, or delivered again after a delivery that
	// never completed, is dead-lettered.
	MaxDeliver int
	// Backoff is the redelivery delay after the n-th failed delivery; the last entry
	// repeats (default 100ms, 500ms, 2s, 5s, 10s).
	Backoff []time.Duration
	// AckWait is how long the server waits for an ack before redelivering (default 30s).
	AckWait time.Duration
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
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
}

// Consumer runs one durable JetStream consumer and its handler. Messages are handled
// one at a time in stream order; redeliveries may reorder them, so handlers must be
// order-tolerant. Every effect happens once per event id (the inbox).
type Consumer struct {
	pool    *pgxpool.Pool
	js      jetstream.JetStream
	cfg     ConsumerConfig
	handler Handler
	log     *slog.Logger
	m       *consumerMetrics
}

type consumerMetrics struct {
	processed, duplicates, failures, redeliveries, deadLetters prometheus.Counter
	lag                                                        prometheus.Gauge
}

func newConsumerMetrics(reg prometheus.Registerer, name string) *consumerMetrics {
	cl := prometheus.Labels{"consumer": name}
	c := func(n, h string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: n, Help: h, ConstLabels: cl})
	}
	m := &consumerMetrics{
		processed:    c("pitstop_consumer_processed_total", "Events whose effect was committed."),
		duplicates:   c("pitstop_consumer_duplicates_total", "Deliveries of events already in the inbox (no effect)."),
		failures:     c("pitstop_consumer_failures_total", "Handler failures (rolled back, to be redelivered or dead-lettered)."),
		redeliveries: c("pitstop_consumer_redeliveries_total", "Deliveries with a delivery count above one."),
		deadLetters:  c("pitstop_consumer_dead_lettered_total", "Messages moved to the consumer dead-letter table."),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pitstop_consumer_lag",
			Help: "Messages not yet delivered or not yet acknowledged.", ConstLabels: cl}),
	}
	if reg != nil {
		reg.MustRegister(m.processed, m.duplicates, m.failures, m.redeliveries, m.deadLetters, m.lag)
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
	return &Consumer{pool: pool, js: js, cfg: cfg, handler: h, log: log.With("consumer", cfg.Name),
		m: newConsumerMetrics(reg, cfg.Name)}, nil
}

// Name is the durable consumer name.
func (c *Consumer) Name() string { return c.cfg.Name }

// Run declares the durable consumer (idempotently) and handles messages until ctx is
// cancelled. Broker errors are retried; Run returns nil on cancellation.
func (c *Consumer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := c.run(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("consumer stopped; restarting", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func (c *Consumer) run(ctx context.Context) error {
	if err := EnsureStreams(ctx, c.js); err != nil {
		return err
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:        c.cfg.Name,
		FilterSubjects: c.cfg.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.cfg.AckWait,
		// The server redelivers without limit; the consumer itself dead-letters a
		// message past MaxDeliver. A server-side limit would silently drop a message
		// whose last allowed delivery died with the process (no dead letter, no effect).
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("declare consumer %s: %w", c.cfg.Name, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.cfg.Name, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-rctx.Done()
		it.Stop()
	}()
	go c.watchLag(rctx, cons)
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("next message: %w", err)
		}
		c.handle(ctx, msg)
	}
}

func (c *Consumer) watchLag(ctx context.Context, cons jetstream.Consumer) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if info, err := cons.Info(ctx); err == nil {
			c.m.lag.Set(float64(info.NumPending + uint64(info.NumAckPending)))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var errDuplicate = errors.New("duplicate event")

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
	if delivered > c.cfg.MaxDeliver {
		// Its last allowed delivery never finished (the process died or stopped mid-way):
		// do not run the handler again, keep the message with the reason.
		c.m.failures.Inc()
		c.deadLetter(ctx, msg, meta, fmt.Errorf("%w: delivered %d times, more than MaxDeliver %d, without completing",
			ErrPermanent, delivered, c.cfg.MaxDeliver))
		return
	}
	env, err := events.FromMsg(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		c.deadLetter(ctx, msg, meta, fmt.Errorf("%w: %w", ErrPermanent, err))
		return
	}
	log := c.log.With("event_id", env.ID, "type", env.Type, "delivery", delivered)
	err = postgres.WithTx(ctx, c.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, c.cfg.Name, env.ID, env.Type)
		if err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errDuplicate
		}
		return c.handler(ctx, tx, env)
	})
	switch {
	case err == nil:
		c.m.processed.Inc()
		if err := msg.Ack(); err != nil {
			// The effect is committed; a redelivery will be recognised as a duplicate.
			log.Warn("ack failed", "err", err)
		}
		log.Debug("event processed")
	case errors.Is(err, errDuplicate):
		c.m.duplicates.Inc()
		_ = msg.Ack()
		log.Debug("duplicate event ignored")
	case ctx.Err() != nil:
		// Shutting down mid-handling: the transaction rolled back, let it be redelivered.
		_ = msg.Nak()
	case errors.Is(err, ErrPermanent) || delivered >= c.cfg.MaxDeliver:
		c.m.failures.Inc()
		c.deadLetter(ctx, msg, meta, err)
	default:
		c.m.failures.Inc()
		delay := c.cfg.Backoff[min(delivered-1, len(c.cfg.Backoff)-1)]
		log.Warn("handler failed; will be redelivered", "err", err, "retry_in", delay)
		_ = msg.NakWithDelay(delay)
	}
}

func (c *Consumer) deadLetter(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata, reason error) {
	headers, _ := json.Marshal(msg.Headers())
	_, err := c.pool.Exec(ctx, `INSERT INTO consumer_dead_letter (consumer, event_id, subject, headers, data, deliveries, stream_seq, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.cfg.Name, msg.Headers().Get(events.HeaderID), msg.Subject(),
		headers, msg.Data(), int(meta.NumDelivered), int64(meta.Sequence.Stream), reason.Error())
	if err != nil {
		// Keep the message: without its dead-letter row it would be lost.
		c.log.Error("dead-letter write failed; message will be redelivered", "err", err)
		_ = msg.NakWithDelay(c.cfg.Backoff[len(c.cfg.Backoff)-1])
		return
	}
	c.m.deadLetters.Inc()
	c.log.Error("message dead-lettered", "subject", msg.Subject(), "event_id", msg.Headers().Get(events.HeaderID),
		"deliveries", meta.NumDelivered, "reason", reason)
	_ = msg.TermWithReason(reason.Error())
}
