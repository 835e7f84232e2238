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

// StreamConfig is the declared configuration of the Pitstop stream: file storage,
// limits retention (events are kept for 30 days so new consumers can catch up), and a
// two-minute duplicate window for Nats-Msg-Id de-duplication of relay retries.
func StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Every Pitstop domain event, pitstop.<context>.<EventType>",
		Subjects:    StreamSubjects,
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      30 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
		Discard:     jetstream.DiscardOld,
	}
}

// EnsureStreams creates or updates the Pitstop stream; it is idempotent and safe to
// call from every process at start-up.
func EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	if _, err := js.CreateOrUpdateStream(ctx, StreamConfig()); err != nil {
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
