package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/messaging"
)

// RelayLockKey is the advisory-lock key the relay of schema's outbox elects its leader
// with: pg_try_advisory_lock(hashtext(RelayLockKey(schema))).
func RelayLockKey(schema string) string { return "pitstop-outbox-relay-" + schema }

// RelayLeader is the Postgres session holding a relay's leader lock.
type RelayLeader struct {
	PID         int        `json:"pid"`
	Application string     `json:"application,omitempty"`
	Client      string     `json:"client,omitempty"`
	Since       *time.Time `json:"since,omitempty"`
}

// OutboxStatus is the state of one context's outbox and relay.
type OutboxStatus struct {
	Context string `json:"context"`
	// Depth is the number of rows waiting in the outbox.
	Depth int64 `json:"depth"`
	// OldestAgeSeconds is the age of the oldest row (0 when empty).
	OldestAgeSeconds float64 `json:"oldestAgeSeconds"`
	// Retrying counts rows backing off after a counted publish failure.
	Retrying int64 `json:"retrying"`
	// Leader is the session holding the relay's leader lock; nil when no relay leads.
	Leader *RelayLeader `json:"leader,omitempty"`
	// DeadLetters counts unresolved relay dead letters.
	DeadLetters int64 `json:"deadLetters"`
	// ParkedAggregates counts the aggregates behind an unresolved dead letter.
	ParkedAggregates int64 `json:"parkedAggregates"`
	// HeldRows counts the outbox rows waiting behind those dead letters.
	HeldRows int64 `json:"heldRows"`
	// Slot is the logical replication slot its relay reads (outbox.SlotName); nil when
	// there is none (the relay polls, or has not led with the log source yet).
	Slot *OutboxSlot `json:"slot,omitempty"`
}

// ConsumerStatus is the state of one durable consumer: JetStream's view and its dead
// letters in Postgres.
type ConsumerStatus struct {
	Name string `json:"name"`
	// Context holds the consumer's inbox ('' when no context in scope knows it).
	Context string `json:"context,omitempty"`
	// OnStream is false when the durable consumer does not exist on the stream.
	OnStream       bool   `json:"onStream"`
	NumPending     uint64 `json:"numPending"`
	NumAckPending  int    `json:"numAckPending"`
	NumRedelivered int    `json:"numRedelivered"`
	NumWaiting     int    `json:"numWaiting"`
	// DeliverPolicy is the consumer's start ("all", or "by_start_sequence" /
	// "by_start_time" after a replay).
	DeliverPolicy string     `json:"deliverPolicy,omitempty"`
	LastDelivered *time.Time `json:"lastDelivered,omitempty"`
	// DeadLetters counts its unresolved dead letters, RequeuePending those of them
	// whose requeued copy is on its way.
	DeadLetters    int64 `json:"deadLetters"`
	RequeuePending int64 `json:"requeuePending"`
	// ParkedAggregates counts the aggregates waiting behind those dead letters.
	ParkedAggregates int64 `json:"parkedAggregates"`
}

// StreamStatus summarises the Pitstop stream.
type StreamStatus struct {
	Name      string    `json:"name"`
	Messages  uint64    `json:"messages"`
	FirstSeq  uint64    `json:"firstSeq"`
	LastSeq   uint64    `json:"lastSeq"`
	FirstTime time.Time `json:"firstTime"`
	Consumers int       `json:"consumers"`
}

// Status is the state of every outbox and consumer in scope.
type Status struct {
	Outboxes  []OutboxStatus   `json:"outboxes"`
	Consumers []ConsumerStatus `json:"consumers"`
	Stream    *StreamStatus    `json:"stream,omitempty"`
	// BrokerError says why the JetStream part is missing (no broker, unreachable).
	BrokerError string `json:"brokerError,omitempty"`
}

// Status reads the state of every outbox (with its relay leader, found in pg_locks,
// and its replication slot) and every durable consumer in scope. JetStream being unavailable is reported in
// BrokerError, not as an error: the Postgres side is what an operator needs most then.
func (a *Admin) Status(ctx context.Context) (Status, error) {
	ts, err := a.contexts(ctx, "")
	if err != nil {
		return Status{}, err
	}
	slots, err := a.outboxSlots(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Outboxes: []OutboxStatus{}, Consumers: []ConsumerStatus{}}
	consumers := map[string]*ConsumerStatus{}
	for _, t := range ts {
		if t.outbox {
			o, err := a.outboxStatus(ctx, t)
			if err != nil {
				return Status{}, err
			}
			o.Slot = slots[t.schema]
			st.Outboxes = append(st.Outboxes, o)
		}
		if !t.inbox && !t.consumerDL {
			continue
		}
		names, err := a.consumersOf(ctx, t)
		if err != nil {
			return Status{}, err
		}
		for _, n := range names {
			consumers[n] = &ConsumerStatus{Name: n, Context: t.schema}
		}
		if t.consumerDL {
			if err := a.consumerDeadLetterCounts(ctx, t, consumers); err != nil {
				return Status{}, err
			}
		}
	}
	if err := a.brokerStatus(ctx, &st, consumers); err != nil {
		st.BrokerError = err.Error()
	}
	for _, n := range slices.Sorted(maps.Keys(consumers)) {
		st.Consumers = append(st.Consumers, *consumers[n])
	}
	return st, nil
}

func (a *Admin) outboxStatus(ctx context.Context, t tables) (OutboxStatus, error) {
	o := OutboxStatus{Context: t.schema}
	ob := ident(t.schema, "outbox")
	q := `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8,
		count(*) FILTER (WHERE attempts > 0) FROM ` + ob
	if err := a.pool.QueryRow(ctx, q).Scan(&o.Depth, &o.OldestAgeSeconds, &o.Retrying); err != nil {
		return o, fmt.Errorf("status of outbox %s: %w", t.schema, err)
	}
	o.OldestAgeSeconds = max(o.OldestAgeSeconds, 0)
	if t.outboxDL {
		dl := ident(t.schema, "outbox_dead_letter")
		if err := a.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT subject) FILTER (WHERE subject <> ''),
				(SELECT count(*) FROM `+ob+` o WHERE o.subject <> '' AND EXISTS (
					SELECT 1 FROM `+dl+` d WHERE d.resolved_at IS NULL AND d.subject = o.subject))
			FROM `+dl+` WHERE resolved_at IS NULL`).Scan(&o.DeadLetters, &o.ParkedAggregates, &o.HeldRows); err != nil {
			return o, fmt.Errorf("status of outbox %s: %w", t.schema, err)
		}
	}
	// pg_try_advisory_lock(bigint) files its key under classid = the high 32 bits and
	// objid = the low 32 bits (as unsigned oids), objsubid = 1; hashtext is an int4, so
	// a negative hash has classid 4294967295.
	var (
		l     RelayLeader
		since time.Time
	)
	err := a.pool.QueryRow(ctx, `WITH k AS (SELECT hashtext($1)::bigint AS key)
		SELECT l.pid, coalesce(s.application_name, ''), coalesce(host(s.client_addr), ''), coalesce(s.backend_start, now())
		FROM pg_locks l CROSS JOIN k
		LEFT JOIN pg_stat_activity s ON s.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid::bigint = (k.key >> 32) & 4294967295
		  AND l.objid::bigint = k.key & 4294967295
		LIMIT 1`, RelayLockKey(t.schema)).Scan(&l.PID, &l.Application, &l.Client, &since)
	switch {
	case err == nil:
		l.Since = &since
		o.Leader = &l
	case !isNoRows(err):
		return o, fmt.Errorf("relay leader of %s: %w", t.schema, err)
	}
	return o, nil
}

func (a *Admin) consumerDeadLetterCounts(ctx context.Context, t tables, out map[string]*ConsumerStatus) error {
	rows, err := a.pool.Query(ctx, `SELECT consumer, count(*), count(*) FILTER (WHERE resolution = $1),
			count(DISTINCT aggregate) FILTER (WHERE aggregate <> '')
		FROM `+ident(t.schema, "consumer_dead_letter")+` WHERE resolved_at IS NULL GROUP BY consumer`, ResolutionRequeuePending)
	if err != nil {
		return fmt.Errorf("consumer dead letters of %s: %w", t.schema, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name                  string
			dead, pending, parked int64
		)
		if err := rows.Scan(&name, &dead, &pending, &parked); err != nil {
			return err
		}
		c := out[name]
		if c == nil {
			c = &ConsumerStatus{Name: name, Context: t.schema}
			out[name] = c
		}
		c.DeadLetters, c.RequeuePending, c.ParkedAggregates = dead, pending, parked
	}
	return rows.Err()
}

// brokerStatus adds JetStream's view: the stream and its durable consumers (every one
// when unscoped, the scoped context's otherwise).
func (a *Admin) brokerStatus(ctx context.Context, st *Status, consumers map[string]*ConsumerStatus) error {
	if a.js == nil {
		return ErrNoBroker
	}
	stream, err := a.js.Stream(ctx, messaging.StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", messaging.StreamName, err)
	}
	info := stream.CachedInfo()
	st.Stream = &StreamStatus{Name: info.Config.Name, Messages: info.State.Msgs, FirstSeq: info.State.FirstSeq,
		LastSeq: info.State.LastSeq, FirstTime: info.State.FirstTime, Consumers: info.State.Consumers}
	lister := stream.ListConsumers(ctx)
	for ci := range lister.Info() {
		if ci.Config.Durable == "" {
			continue // ephemeral consumers (the web front-end's live views) are not operated
		}
		c := consumers[ci.Name]
		if c == nil {
			if a.opts.Context != "" {
				continue // another context's consumer
			}
			c = &ConsumerStatus{Name: ci.Name}
			consumers[ci.Name] = c
		}
		fill(c, ci)
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return fmt.Errorf("list consumers: %w", err)
	}
	return nil
}

func fill(c *ConsumerStatus, ci *jetstream.ConsumerInfo) {
	c.OnStream = true
	c.NumPending, c.NumAckPending, c.NumRedelivered, c.NumWaiting = ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.NumWaiting
	c.DeliverPolicy = ci.Config.DeliverPolicy.String()
	c.LastDelivered = ci.Delivered.Last
}
