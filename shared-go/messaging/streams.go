// Package messaging is Pitstop's JetStream plumbing: the stream declaration, durable
// consumers with explicit acks, bounded redelivery with back-off and a dead-letter
// table, and the inbox that makes each effect happen once per event id.
package messaging

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/postgres"
)

// StreamName is the one JetStream stream that holds every Pitstop event.
const StreamName = "PITSTOP"

// StreamSubjects are the subjects StreamName captures.
var StreamSubjects = []string{"pitstop.>"}

// StreamOption adjusts the declared Pitstop stream.
type StreamOption func(*streamOptions)

type streamOptions struct {
	replicas int // 0: not said
}

// Replicas declares the stream with n replicas (1 on a single server, 3 on a
// three-node JetStream cluster; configured by NATS_STREAM_REPLICAS). n < 1 means 1.
func Replicas(n int) StreamOption {
	return func(o *streamOptions) {
		o.replicas = max(n, 1)
	}
}

// StreamConfig is the declared configuration of the Pitstop stream: file storage,
// limits retention (events are kept for 30 days so new consumers can catch up), a
// two-minute duplicate window for Nats-Msg-Id de-duplication of relay retries, and one
// replica unless Replicas says otherwise.
func StreamConfig(opts ...StreamOption) jetstream.StreamConfig {
	o := streamOptions{replicas: 1}
	for _, opt := range opts {
		opt(&o)
	}
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Every Pitstop domain event, pitstop.<context>.<EventType>",
		Subjects:    StreamSubjects,
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      30 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
		Discard:     jetstream.DiscardOld,
		Replicas:    o.replicas,
	}
}

// EnsureStreams creates or updates the Pitstop stream; it is idempotent and safe to
// call from every process at start-up. With Replicas it sets the stream's replica
// count (scaling an existing stream up or down); without, it keeps the replica count of
// an existing stream and creates a missing one with one replica, so that the relays'
// and consumers' own re-declarations never scale down a stream that the services
// declared at R3.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, opts ...StreamOption) error {
	var o streamOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.replicas == 0 {
		if s, err := js.Stream(ctx, StreamName); err == nil {
			opts = append(opts, Replicas(s.CachedInfo().Config.Replicas))
		}
	}
	if _, err := js.CreateOrUpdateStream(ctx, StreamConfig(opts...)); err != nil {
		return fmt.Errorf("ensure stream %s: %w", StreamName, err)
	}
	return nil
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the inbox and consumer dead-letter tables in schema.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "inbox", postgres.MigrationsDir(migrations))
}

// Captures reports whether the Pitstop stream's subjects capture subject (a publish
// there that finds no stream means the stream is missing, not that the subject is wrong).
func Captures(subject string) bool {
	for _, s := range StreamSubjects {
		if subjectMatches(s, subject) {
			return true
		}
	}
	return false
}

// subjectMatches reports whether the NATS subject matches filter ('*' one token, '>'
// the rest).
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(f) == len(s)
}
