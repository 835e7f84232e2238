package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/messaging"
)

// ReplayRequest names the consumer to rewind and where from: exactly one of Since (a
// time) and SinceSeq (a stream sequence, from 1).
type ReplayRequest struct {
	Consumer string     `json:"consumer"`
	Since    *time.Time `json:"since,omitempty"`
	SinceSeq uint64     `json:"sinceSeq,omitempty"`
}

// Validate checks r; the error wraps ErrInvalid.
func (r ReplayRequest) Validate(now time.Time) error {
	switch {
	case r.Consumer == "":
		return invalid("consumer is required")
	case (r.Since == nil) == (r.SinceSeq == 0):
		return invalid("give exactly one of since (a time) and sinceSeq (a stream sequence from 1)")
	case r.Since != nil && r.Since.After(now):
		return invalid("since %s is in the future", r.Since.Format(time.RFC3339))
	}
	return nil
}

// ReplayResult is the consumer's new start and its backlog right after the rewind.
type ReplayResult struct {
	Consumer      string     `json:"consumer"`
	DeliverPolicy string     `json:"deliverPolicy"`
	StartSeq      uint64     `json:"startSeq,omitempty"`
	StartTime     *time.Time `json:"startTime,omitempty"`
	// Pending is the number of messages the consumer will be redelivered.
	Pending uint64 `json:"pending"`
}

// Progress is a consumer's backlog: NumPending (not yet delivered) and NumAckPending
// (delivered, not yet acknowledged).
type Progress struct {
	Pending    uint64 `json:"pending"`
	AckPending int    `json:"ackPending"`
}

// Remaining is Pending + AckPending.
func (p Progress) Remaining() uint64 { return p.Pending + uint64(p.AckPending) }

// Replay redelivers the stream from r's start to one durable consumer, and to no other.
//
// JetStream cannot rewind a durable consumer, so it is deleted and created again with
// the same configuration (filter subjects, ack policy and wait, max deliver, max ack
// pending, ...) and a deliver policy by start sequence or time. The running service's
// consumer loses its subscription, declares the consumer again and, since
// messaging.DeclareConsumer keeps an existing consumer's deliver policy and start
// position, consumes from the new start. Its inbox makes the redelivery safe: every
// event already applied is a duplicate, per event id and per aggregate sequence.
//
// Should the service re-declare the consumer in the instant between the delete and the
// create (from the beginning of the stream), the rewind is done again, up to a few times.
//
// Errors wrap ErrInvalid, ErrNotFound (no such consumer in scope) or ErrNoBroker.
func (a *Admin) Replay(ctx context.Context, r ReplayRequest) (ReplayResult, error) {
	if err := r.Validate(a.opts.Now()); err != nil {
		return ReplayResult{}, err
	}
	if a.js == nil {
		return ReplayResult{}, fmt.Errorf("replay: %w", ErrNoBroker)
	}
	if err := a.inScope(ctx, r.Consumer); err != nil {
		return ReplayResult{}, err
	}
	cons, err := a.js.Consumer(ctx, messaging.StreamName, r.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return ReplayResult{}, fmt.Errorf("consumer %q on stream %s: %w", r.Consumer, messaging.StreamName, ErrNotFound)
	}
	if err != nil {
		return ReplayResult{}, fmt.Errorf("replay %s: %w", r.Consumer, err)
	}
	cfg := cons.CachedInfo().Config
	cfg.OptStartSeq, cfg.OptStartTime = 0, nil
	if r.SinceSeq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, r.SinceSeq
	} else {
		t := r.Since.UTC()
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	var created jetstream.Consumer
	for attempt := 0; ; attempt++ {
		if err := a.js.DeleteConsumer(ctx, messaging.StreamName, r.Consumer); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return ReplayResult{}, fmt.Errorf("replay %s: delete: %w", r.Consumer, err)
		}
		created, err = a.js.CreateConsumer(ctx, messaging.StreamName, cfg)
		if err == nil {
			break
		}
		if !errors.Is(err, jetstream.ErrConsumerExists) || attempt == 4 {
			return ReplayResult{}, fmt.Errorf("replay %s: create: %w", r.Consumer, err)
		}
	}
	info := created.CachedInfo()
	return ReplayResult{Consumer: r.Consumer, DeliverPolicy: info.Config.DeliverPolicy.String(),
		StartSeq: info.Config.OptStartSeq, StartTime: info.Config.OptStartTime,
		Pending: info.NumPending + uint64(info.NumAckPending)}, nil
}

// Progress reads a consumer's backlog (for following a replay).
func (a *Admin) Progress(ctx context.Context, consumer string) (Progress, error) {
	if a.js == nil {
		return Progress{}, ErrNoBroker
	}
	if err := a.inScope(ctx, consumer); err != nil {
		return Progress{}, err
	}
	cons, err := a.js.Consumer(ctx, messaging.StreamName, consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return Progress{}, fmt.Errorf("consumer %q: %w", consumer, ErrNotFound)
	}
	if err != nil {
		return Progress{}, err
	}
	info := cons.CachedInfo()
	return Progress{Pending: info.NumPending, AckPending: info.NumAckPending}, nil
}

// inScope checks that a scoped Admin's context owns consumer.
func (a *Admin) inScope(ctx context.Context, consumer string) error {
	if a.opts.Context == "" {
		return nil
	}
	t, err := a.context(ctx, a.opts.Context)
	if err == nil {
		var names []string
		if names, err = a.consumersOf(ctx, t); err == nil && slices.Contains(names, consumer) {
			return nil
		}
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return fmt.Errorf("consumer %q of context %s: %w", consumer, a.opts.Context, ErrNotFound)
}
