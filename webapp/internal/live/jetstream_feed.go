package live

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// Feed publishes a Change to its hub for every workshop event on JetStream.
type Feed struct {
	js  jetstream.JetStream
	hub *Hub
	log *slog.Logger
	// ready is closed once the first consumer exists (tests wait on it).
	ready     chan struct{}
	readyOnce sync.Once
}

// NewFeed returns a feed from js to hub.
func NewFeed(js jetstream.JetStream, hub *Hub, log *slog.Logger) *Feed {
	return &Feed{js: js, hub: hub, log: log, ready: make(chan struct{})}
}

// Ready is closed once the feed consumes.
func (f *Feed) Ready() <-chan struct{} { return f.ready }

// Run consumes the workshop's events with an ephemeral ordered consumer that starts at
// new events (nothing is stored: a browser that reconnects reloads its day), until ctx
// is cancelled. It retries when JetStream is not reachable. On return the hub is
// closed, which ends the browsers' streams.
func (f *Feed) Run(ctx context.Context) error {
	defer f.hub.Close()
	for {
		err := f.consume(ctx)
		if ctx.Err() != nil {
			return nil
		}
		f.log.Warn("live updates: consuming workshop events failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (f *Feed) consume(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	cons, err := f.js.OrderedConsumer(cctx, messaging.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{workshopevents.SubjectAll},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		HeadersOnly:    true, // the date is the event's ce-subject
	})
	cancel()
	if err != nil {
		return err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { f.hub.Publish(changeOf(m.Subject(), m.Headers())) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				f.log.Debug("live updates: consumer", "err", err)
			}
		}))
	if err != nil {
		return err
	}
	f.readyOnce.Do(func() { close(f.ready) })
	<-ctx.Done()
	cc.Stop()
	return nil
}

// changeOf is the change an event announces: its date is the event's subject (the
// planning date) when that is a date, otherwise every day is told.
func changeOf(subject string, h nats.Header) Change {
	c := Change{Type: subject[strings.LastIndex(subject, ".")+1:]}
	if d := h.Get(events.HeaderSubject); isDate(d) {
		c.Date = d
	}
	return c
}

func isDate(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}
