package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/faults"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/postgres"
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
	// table (default 10). Infrastructure faults (faults.Classify) are never counted.
	MaxAttempts int
	// AckTimeout bounds the wait for a batch's PubAcks (default 5s).
	AckTimeout time.Duration
	// ElectionInterval is how often a standby retries the leader lock (default 1s).
	ElectionInterval time.Duration
	// MaxBackoff caps the pause after transient failures (default 5s).
	MaxBackoff time.Duration
	// OnAck, if set, is called for every row acknowledged by JetStream (benchmarks).
	OnAck func(eventID uuid.UUID, ackedAt time.Time)
	// BeforeDelete, if set, runs after a batch's PubAcks and before its rows are
	// deleted; returning an error aborts the relay as a crash would (fault-injection tests).
	BeforeDelete func(ids []int64) error
	// SlotWait bounds the wait for the replication slot's creation, which waits for
	// every open transaction to end (default 30s). After it the leadership term polls
	// the table for a minute (SlotRetry) and then tries again.
	SlotWait, SlotRetry time.Duration
	// StreamReplicas is the replica count the relay declares the stream with when it
	// finds it missing (default: keep an existing stream's, 1 for a new one).
	StreamReplicas int
	// Source is where committed events are read from (default SourceAuto: the
	// write-ahead log when wal_level=logical, else the table).
	Source Source
	// BeforePublish, if set, may replace or refuse a message just before it is
	// published (fault-injection tests: a broker that rejects one message).
	BeforePublish func(msg *nats.Msg) error
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
	if c.SlotWait <= 0 {
		c.SlotWait = 30 * time.Second
	}
	if c.SlotRetry <= 0 {
		c.SlotRetry = time.Minute
	}
	if c.Source == "" {
		c.Source = SourceAuto
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
}

// Relay publishes one schema's outbox to JetStream. Run it in its own process (cmd/cdc)
// or goroutine; any number may run, one leads. It is safe for concurrent use.
//
// Per-aggregate order: no row is published before every earlier row of its aggregate
// (subject) has its PubAck. Within a batch the rows of one aggregate go out in waves
// (the k-th row of each aggregate in wave k, after wave k-1 was acknowledged); a
// failure stops its aggregate for the rest of the batch; across batches a row backing
// off after a counted failure, or dead-lettered and unresolved (a parked aggregate),
// holds back the later rows of its aggregate. Rows of other aggregates flow past.
type Relay struct {
	pool      *pgxpool.Pool
	nc        *nats.Conn
	js        jetstream.JetStream
	cfg       RelayConfig
	log       *slog.Logger
	m         *relayMetrics
	transient *faults.Tracker
	leader    atomic.Bool
	// source is the source of the current leadership term ("" while not leading).
	source         atomic.Value
	fallbackLogged atomic.Bool
}

type relayMetrics struct {
	backlog     prometheus.Gauge
	oldestAge   prometheus.Gauge
	leader      prometheus.Gauge
	latency     prometheus.Histogram
	published   prometheus.Counter
	failed      prometheus.Counter
	deadLetters prometheus.Counter
	unresolved  prometheus.Gauge
	parked      prometheus.Gauge
	source      *prometheus.GaugeVec
	slotLag     prometheus.Gauge
	slotRetain  prometheus.Gauge
	slotLagSecs prometheus.Gauge
}

func newRelayMetrics(reg prometheus.Registerer, schema string) *relayMetrics {
	cl := prometheus.Labels{"outbox": schema}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: cl})
	}
	m := &relayMetrics{
		backlog:   g("pitstop_outbox_backlog", "Rows waiting in the outbox."),
		oldestAge: g("pitstop_outbox_oldest_age_seconds", "Age of the oldest row in the outbox (0 when empty)."),
		leader:    g("pitstop_outbox_relay_leader", "1 while this relay holds the leader lock."),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pitstop_outbox_relay_latency_seconds",
			Help:        "Time from the outbox insert to the JetStream PubAck.",
			ConstLabels: cl, Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_outbox_published_total",
			Help: "Rows acknowledged by JetStream.", ConstLabels: cl}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_outbox_publish_failures_total",
			Help: "Publish failures counted against their row (infrastructure faults are not).", ConstLabels: cl}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "pitstop_outbox_dead_lettered_total",
			Help: "Rows moved to the outbox dead-letter table.", ConstLabels: cl}),
		unresolved: g("pitstop_outbox_dead_letters", "Dead-lettered rows not yet requeued or skipped."),
		parked:     g("pitstop_outbox_parked_aggregates", "Aggregates whose events wait behind an unresolved dead letter."),
		source: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pitstop_outbox_relay_source",
			Help: "1 for the source this relay leads with (log or poll); 0 for both while it does not lead.", ConstLabels: cl},
			[]string{"source"}),
		slotLag: g("pitstop_outbox_slot_lag_bytes",
			"WAL written since the slot's confirmed position (0 without a slot): how far the log source is behind."),
		slotRetain: g("pitstop_outbox_slot_retained_bytes",
			"WAL the slot keeps on disk (from its restart position; 0 without a slot). An abandoned slot grows it without bound."),
		slotLagSecs: g("pitstop_outbox_slot_lag_seconds",
			"Postgres's measure of the log source's delay (pg_stat_replication flush_lag; 0 when caught up or not streaming)."),
	}
	for _, src := range []Source{SourceLog, SourcePoll} {
		m.source.WithLabelValues(string(src))
	}
	if reg != nil {
		reg.MustRegister(m.backlog, m.oldestAge, m.leader, m.latency, m.published, m.failed, m.deadLetters, m.unresolved,
			m.parked, m.source, m.slotLag, m.slotRetain, m.slotLagSecs)
	}
	return m
}

// NewRelay builds a relay for cfg.Schema's outbox. reg may be nil.
func NewRelay(pool *pgxpool.Pool, nc *nats.Conn, cfg RelayConfig, log *slog.Logger, reg prometheus.Registerer) (*Relay, error) {
	cfg.defaults()
	if !schemaName.MatchString(cfg.Schema) {
		return nil, fmt.Errorf("outbox relay: schema %q: want lower-case letters, digits and _", cfg.Schema)
	}
	if _, err := ParseSource(string(cfg.Source)); err != nil {
		return nil, fmt.Errorf("outbox relay: %w", err)
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
	log = log.With("outbox", cfg.Schema)
	return &Relay{pool: pool, nc: nc, js: js, cfg: cfg, log: log,
		m: newRelayMetrics(reg, cfg.Schema),
		transient: faults.NewTracker(reg, "pitstop_outbox_transient_failures_total",
			"Infrastructure faults met by the relay (never counted against a row), by reason.",
			prometheus.Labels{"outbox": cfg.Schema}, log)}, nil
}

// IsLeader reports whether this relay currently holds the leader lock.
func (r *Relay) IsLeader() bool { return r.leader.Load() }

// Ready reports whether Postgres and NATS are reachable and the relay is not backing
// off from an infrastructure fault (for /readyz).
func (r *Relay) Ready(ctx context.Context) error {
	if r.nc.Status() != nats.CONNECTED {
		return fmt.Errorf("nats %s", r.nc.Status())
	}
	var one int
	if err := r.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return err
	}
	if err := r.transient.Err(); err != nil {
		return fmt.Errorf("backing off after a transient failure: %w", err)
	}
	return nil
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
			if reason, ok := faults.Classify(err); ok {
				r.transient.Failed(reason, err)
			} else {
				r.log.Warn("outbox relay lost leadership or failed; retrying", "err", err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.cfg.ElectionInterval):
		}
	}
	return nil
}

func (r *Relay) lockKey() string { return "pitstop-outbox-relay-" + r.cfg.Schema }

// electAndLead takes the leader lock on a dedicated connection and leads while it
// holds it. Every statement of the leader (claim, delete, failures) runs on that very
// connection: a leader cut off from Postgres cannot claim anything, and the moment its
// session is gone (and with it the lock that a standby may now take) it stops.
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
		r.log.Info("outbox relay stepped down")
	}()
	var db string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return fmt.Errorf("current database: %w", err)
	}
	slot := SlotName(r.cfg.Schema, db)
	src, err := r.chooseSource(ctx, conn)
	if err != nil {
		return err
	}
	if err := r.announceSource(ctx, conn, src); err != nil {
		return err
	}
	r.setSource(src)
	defer r.setSource("")
	r.ensureStream(ctx)
	if src == SourceLog {
		r.log.Info("outbox relay tails the write-ahead log", "slot", slot)
		err := r.leadLog(ctx, conn, slot)
		if !errors.Is(err, errSlotBlocked) {
			return err
		}
		r.log.Warn("outbox relay polls the table until it can create its replication slot", "err", err, "retry_in", r.cfg.SlotRetry)
		if err := r.announceSource(ctx, conn, SourcePoll); err != nil {
			return err
		}
		r.setSource(SourcePoll)
		pctx, cancel := context.WithTimeout(ctx, r.cfg.SlotRetry)
		defer cancel()
		return r.lead(pctx, conn)
	}
	if err := r.dropStaleSlot(ctx, conn, slot); err != nil {
		return err
	}
	r.log.Info("outbox relay polls the outbox table")
	return r.lead(ctx, conn)
}

// Source reports the source of the current leadership term ("" while not leading).
func (r *Relay) Source() Source {
	s, _ := r.source.Load().(Source)
	return s
}

// announceSource records the leader's source in outbox_relay, which writers read to
// decide whether to notify.
func (r *Relay) announceSource(ctx context.Context, conn *pgx.Conn, s Source) error {
	if _, err := conn.Exec(ctx, `INSERT INTO outbox_relay (source) VALUES ($1)
		ON CONFLICT (one) DO UPDATE SET source = EXCLUDED.source, leader_since = now()`, string(s)); err != nil {
		return fmt.Errorf("announce source: %w", err)
	}
	return nil
}

func (r *Relay) setSource(s Source) {
	r.source.Store(s)
	for _, src := range []Source{SourceLog, SourcePoll} {
		v := 0.0
		if src == s {
			v = 1
		}
		r.m.source.WithLabelValues(string(src)).Set(v)
	}
}

// ensureStream declares the stream again (after it was deleted, or on a new broker).
func (r *Relay) ensureStream(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, r.cfg.AckTimeout)
	defer cancel()
	var opts []messaging.StreamOption
	if r.cfg.StreamReplicas > 0 {
		opts = append(opts, messaging.Replicas(r.cfg.StreamReplicas))
	}
	if err := messaging.EnsureStreams(sctx, r.js, opts...); err != nil && ctx.Err() == nil {
		reason, _ := faults.Classify(err)
		r.transient.Failed(reason, err)
	}
}

// lead is the polling source: it drains the table, then waits for a writer's
// notification (postgres.Listen) or the poll interval.
func (r *Relay) lead(ctx context.Context, conn *pgx.Conn) error {
	lctx, stopListening := context.WithCancel(ctx)
	wake := postgres.Listen(lctx, r.pool, Channel(r.cfg.Schema), r.log)
	defer func() {
		stopListening()
		for range wake { // until the listener has closed its connection
		}
	}()
	failures := 0
	for {
		// Drain everything that is ready.
		for {
			res, err := r.relayBatch(ctx, conn, false)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if res.transient != nil {
				failures++
				r.transient.Failed(res.reason, res.transient)
				if res.reason == faults.StreamMissing {
					r.ensureStream(ctx)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(faults.Backoff(50*time.Millisecond, r.cfg.MaxBackoff, failures)):
				}
				continue
			}
			failures = 0
			r.transient.Succeeded()
			if res.claimed < r.cfg.BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(r.cfg.PollInterval): // the polling fallback
		}
	}
}

type row struct {
	id        int64
	eventID   uuid.UUID
	typ       string
	source    string
	subject   string
	seq       int64
	occurred  time.Time
	payload   []byte
	createdAt time.Time
	actor     string
	// held: the row is published from the table, not from the log (log source).
	held bool
}

func (x row) envelope() events.Envelope {
	return events.Envelope{ID: x.eventID, Type: x.typ, Source: x.source, Subject: x.subject,
		Time: x.occurred, Seq: x.seq, Actor: x.actor, Data: x.payload}
}

// batchResult is what one claim-publish-settle round did.
type batchResult struct {
	claimed, acked int
	// transient is the first infrastructure fault met (nil if none): the caller backs
	// off before the next batch; no row was charged for it.
	transient error
	reason    string
}

// relayBatch is one round of the polling source: claim, publish (send and await, wave
// by wave), settle. With heldOnly it claims held rows only (the log source's sweep).
func (r *Relay) relayBatch(ctx context.Context, conn *pgx.Conn, heldOnly bool) (batchResult, error) {
	batch, err := r.claim(ctx, conn, heldOnly)
	if err != nil {
		return batchResult{}, err
	}
	if len(batch) == 0 {
		return batchResult{}, nil
	}
	acked, failed := r.publish(ctx, batch)
	if ctx.Err() != nil {
		return batchResult{}, ctx.Err()
	}
	res := batchResult{claimed: len(batch), acked: len(acked)}
	return res, r.settle(ctx, conn, &res, acked, failed)
}

// settle deletes the acknowledged rows and records the failures counted against their
// rows (infrastructure faults are noted in res instead).
func (r *Relay) settle(ctx context.Context, conn *pgx.Conn, res *batchResult, acked []row, failed []failure) error {
	if err := r.settleAcked(ctx, conn, acked); err != nil {
		return err
	}
	return r.recordFailures(ctx, conn, r.countFailures(res, failed))
}

// countFailures splits failed into the row's own failures (returned, and counted in the
// metric) and infrastructure faults (the first one noted in res, to back off on).
func (r *Relay) countFailures(res *batchResult, failed []failure) []failure {
	counted := make([]failure, 0, len(failed))
	for _, f := range failed {
		if f.reason != "" {
			if res.transient == nil {
				res.transient, res.reason = f.err, f.reason
			}
			continue
		}
		counted = append(counted, f)
	}
	r.m.failed.Add(float64(len(counted)))
	return counted
}

// claim reads the next rows in id order. A row is held back while an earlier row of its
// aggregate is backing off after a counted failure, or while its aggregate is parked
// behind an unresolved dead letter; rows without an aggregate are never held back.
// Since rows are read in id order, the rows of one aggregate in a batch are always a
// prefix of that aggregate's rows in the outbox (of its held rows, with heldOnly).
func (r *Relay) claim(ctx context.Context, conn *pgx.Conn, heldOnly bool) ([]row, error) {
	rows, err := conn.Query(ctx, `SELECT o.id, o.event_id, o.event_type, o.source, o.subject, o.seq, o.occurred_at, o.payload, o.created_at, o.actor
		FROM outbox o
		WHERE o.available_at <= now() AND (o.held OR NOT $2)
		  AND (o.subject = '' OR (
		      NOT EXISTS (SELECT 1 FROM outbox e WHERE e.attempts > 0 AND e.subject = o.subject
		                  AND e.id < o.id AND e.available_at > now())
		      AND NOT EXISTS (SELECT 1 FROM outbox_dead_letter d WHERE d.resolved_at IS NULL AND d.subject = o.subject)))
		ORDER BY o.id LIMIT $1`, r.cfg.BatchSize, heldOnly)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(rw pgx.CollectableRow) (row, error) {
		var x row
		err := rw.Scan(&x.id, &x.eventID, &x.typ, &x.source, &x.subject, &x.seq, &x.occurred, &x.payload, &x.createdAt, &x.actor)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return batch, nil
}

type failure struct {
	row row
	err error
	// reason is set for an infrastructure fault (not counted against the row).
	reason string
	// permanent failures dead-letter the row at once (it can never be published).
	permanent bool
}

// publish sends the batch in waves: wave k holds the k-th row of every aggregate still
// going (and, in wave 0, every row without an aggregate), published asynchronously and
// awaited as a whole. An aggregate whose row failed sends nothing more in this batch,
// so no row is ever published before its predecessor has its PubAck.
func (r *Relay) publish(ctx context.Context, batch []row) (acked []row, failed []failure) {
	type queue struct{ rows []row }
	var (
		order   []string // aggregates in order of their first row
		queues  = map[string]*queue{}
		wave    []row
		routing = map[string]error{} // subject → routability, cached per batch
	)
	for _, x := range batch {
		if x.subject == "" {
			wave = append(wave, x)
			continue
		}
		q, ok := queues[x.subject]
		if !ok {
			q = &queue{}
			queues[x.subject] = q
			order = append(order, x.subject)
		}
		q.rows = append(q.rows, x)
	}
	maxPayload := r.nc.MaxPayload()
	for k := 0; ; k++ {
		if k > 0 {
			wave = wave[:0]
		}
		for _, s := range order {
			if q := queues[s]; len(q.rows) > k {
				wave = append(wave, q.rows[k])
			}
		}
		if len(wave) == 0 {
			return acked, failed
		}
		// Rows published in this wave, in batch (id) order so that the stream keeps
		// commit order across aggregates too.
		slices.SortFunc(wave, func(a, b row) int { return cmp.Compare(a.id, b.id) })
		ok, bad := r.publishWave(ctx, wave, maxPayload, routing)
		acked = append(acked, ok...)
		failed = append(failed, bad...)
		if ctx.Err() != nil {
			return acked, failed
		}
		for _, f := range bad {
			if q := queues[f.row.subject]; q != nil && f.row.subject != "" {
				q.rows = q.rows[:k+1] // stop the aggregate for the rest of the batch
			}
		}
	}
}

func (r *Relay) publishWave(ctx context.Context, wave []row, maxPayload int64, routing map[string]error) (acked []row, failed []failure) {
	futs, failed := r.send(ctx, wave, maxPayload, routing)
	acked, late := r.await(ctx, wave, futs, routing)
	return acked, append(failed, late...)
}

// send publishes the wave asynchronously. A row that cannot even be sent (too big for
// the broker, refused by the BeforePublish hook, no connection) fails at once; the
// others have a future each (nil for the failed ones).
func (r *Relay) send(ctx context.Context, wave []row, maxPayload int64, routing map[string]error) (futs []jetstream.PubAckFuture, failed []failure) {
	futs = make([]jetstream.PubAckFuture, len(wave))
	for i, x := range wave {
		msg := x.envelope().Msg()
		if maxPayload > 0 && int64(len(msg.Data)) > maxPayload {
			failed = append(failed, failure{row: x, permanent: true,
				err: fmt.Errorf("payload of %d bytes exceeds the broker's max payload %d", len(msg.Data), maxPayload)})
			continue
		}
		if r.cfg.BeforePublish != nil {
			if err := r.cfg.BeforePublish(msg); err != nil {
				failed = append(failed, r.classify(ctx, x, err, routing))
				continue
			}
		}
		fut, err := r.js.PublishMsgAsync(msg)
		if err != nil {
			failed = append(failed, r.classify(ctx, x, err, routing))
			continue
		}
		futs[i] = fut
	}
	return futs, failed
}

// await collects the wave's PubAcks (or their errors, or a timeout of AckTimeout plus a
// second), observing each acknowledged row's latency.
func (r *Relay) await(ctx context.Context, wave []row, futs []jetstream.PubAckFuture, routing map[string]error) (acked []row, failed []failure) {
	timeout := time.NewTimer(r.cfg.AckTimeout + time.Second)
	defer timeout.Stop()
	for i, fut := range futs {
		if fut == nil {
			continue
		}
		x := wave[i]
		select {
		case <-fut.Ok():
			now := time.Now()
			acked = append(acked, x)
			r.m.latency.Observe(now.Sub(x.createdAt).Seconds())
			if r.cfg.OnAck != nil {
				r.cfg.OnAck(x.eventID, now)
			}
		case err := <-fut.Err():
			failed = append(failed, r.classify(ctx, x, err, routing))
		case <-timeout.C:
			failed = append(failed, r.classify(ctx, x, jetstream.ErrAsyncPublishTimeout, routing))
			// The remaining futures resolve on their own timeouts.
			timeout.Reset(r.cfg.AckTimeout + time.Second)
		case <-ctx.Done():
			return acked, failed
		}
	}
	return acked, failed
}

// classify decides whether a publish failure is the row's own (counted, and in the end
// dead-lettered) or an infrastructure fault. "No responders" means no stream answered:
// if a stream captures the subject JetStream is still starting; if none does but the
// subject is one the system's stream declares, the stream is missing (it is declared
// again); only a subject no declared stream captures is the row's fault.
func (r *Relay) classify(ctx context.Context, x row, err error, routing map[string]error) failure {
	f := failure{row: x, err: err}
	if r.nc.Status() != nats.CONNECTED {
		f.reason = faults.NATSUnavailable
		return f
	}
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		rerr, seen := routing[x.typ]
		if !seen {
			lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, rerr = r.js.StreamNameBySubject(lctx, x.typ)
			cancel()
			routing[x.typ] = rerr
		}
		switch {
		case rerr == nil:
			f.reason = faults.NATSUnavailable
		case errors.Is(rerr, jetstream.ErrStreamNotFound) && messaging.Captures(x.typ):
			f.reason = faults.StreamMissing
			f.err = fmt.Errorf("%w for %s: %w", faults.ErrStreamMissing, x.typ, err)
		case errors.Is(rerr, jetstream.ErrStreamNotFound):
			f.err = fmt.Errorf("no stream captures subject %s: %w", x.typ, err)
		default:
			f.reason, _ = faults.Classify(rerr)
			if f.reason == "" {
				f.reason = faults.NATSUnavailable
			}
		}
		return f
	}
	if reason, ok := faults.Classify(err); ok {
		f.reason = reason
	}
	return f
}

// settleAcked deletes the acknowledged rows (on the leader's connection).
func (r *Relay) settleAcked(ctx context.Context, conn *pgx.Conn, acked []row) error {
	if len(acked) == 0 {
		return nil
	}
	ids := make([]int64, len(acked))
	for i, x := range acked {
		ids[i] = x.id
	}
	if r.cfg.BeforeDelete != nil {
		if err := r.cfg.BeforeDelete(ids); err != nil {
			return errors.Join(errAborted, err)
		}
	}
	if _, err := conn.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("delete published: %w", err)
	}
	r.m.published.Add(float64(len(acked)))
	return nil
}

// recordFailures counts an attempt against each failed row, schedules its retry with
// exponential back-off, and moves rows out of attempts to the dead-letter table (with
// the last error and every attempt's time), all in one transaction.
func (r *Relay) recordFailures(ctx context.Context, conn *pgx.Conn, fs []failure) error {
	if len(fs) == 0 {
		return nil
	}
	var dead int
	err := postgres.WithTx(ctx, conn, func(tx pgx.Tx) error {
		dead = 0
		for _, f := range fs {
			attempts := r.cfg.MaxAttempts
			if !f.permanent {
				// held: with the log source the retry is published from the table.
				if err := tx.QueryRow(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2, held = true,
					attempt_times = attempt_times || now(),
					available_at = now() + least(interval '50 milliseconds' * power(2, attempts), interval '5 seconds')
					WHERE id = $1 RETURNING attempts`, f.row.id, f.err.Error()).Scan(&attempts); err != nil {
					if errors.Is(err, pgx.ErrNoRows) {
						continue // gone: a row the log source replayed after an earlier leader published it
					}
					return fmt.Errorf("record failure of row %d: %w", f.row.id, err)
				}
			}
			r.log.Warn("outbox publish failed", "row", f.row.id, "event_id", f.row.eventID, "attempts", attempts, "err", f.err)
			if attempts < r.cfg.MaxAttempts {
				continue
			}
			tag, err := tx.Exec(ctx, `WITH moved AS (DELETE FROM outbox WHERE id = $1 RETURNING *)
				INSERT INTO outbox_dead_letter (id, event_id, event_type, source, subject, seq, occurred_at, payload, created_at, actor, attempts, attempt_times, error)
				SELECT id, event_id, event_type, source, subject, seq, occurred_at, payload, created_at, actor, $2,
				       CASE WHEN $4 THEN attempt_times || now() ELSE attempt_times END, $3 FROM moved`,
				f.row.id, attempts, f.err.Error(), f.permanent)
			if err != nil {
				return fmt.Errorf("dead-letter row %d: %w", f.row.id, err)
			}
			dead += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record failures: %w", err)
	}
	if dead > 0 {
		r.m.deadLetters.Add(float64(dead))
		r.log.Error("outbox rows dead-lettered; their aggregates are parked until requeued or skipped", "count", dead)
	}
	return nil
}

func (r *Relay) watchBacklog(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		var n, dead, parked int64
		var age float64
		if err := r.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox),
				coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM outbox), 0)::float8,
				(SELECT count(*) FROM outbox_dead_letter WHERE resolved_at IS NULL),
				(SELECT count(DISTINCT subject) FROM outbox_dead_letter WHERE resolved_at IS NULL AND subject <> '')`).
			Scan(&n, &age, &dead, &parked); err == nil {
			r.m.backlog.Set(float64(n))
			r.m.oldestAge.Set(max(age, 0))
			r.m.unresolved.Set(float64(dead))
			r.m.parked.Set(float64(parked))
		}
		var lag, retained, lagSecs float64
		err := r.pool.QueryRow(ctx, `SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::float8,
				coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), 0)::float8,
				coalesce((SELECT extract(epoch FROM flush_lag) FROM pg_stat_replication WHERE pid = s.active_pid), 0)::float8
			FROM pg_replication_slots s WHERE s.slot_name = `+slotNameSQL("$1"), slotPrefix(r.cfg.Schema)).Scan(&lag, &retained, &lagSecs)
		if err == nil || errors.Is(err, pgx.ErrNoRows) {
			r.m.slotLag.Set(max(lag, 0))
			r.m.slotRetain.Set(max(retained, 0))
			r.m.slotLagSecs.Set(max(lagSecs, 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
