// Package config parses Pitstop's configuration from the environment, once, in main,
// into typed structs with documented defaults. Adapters never read the environment.
//
// Common variables (every process):
//
//	DATABASE_URL        Postgres URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
//	NATS_URL            NATS URL (default nats://127.0.0.1:4222)
//	HTTP_ADDR           listen address (default per service, e.g. :5100)
//	LOG_LEVEL           debug|info|warn|error (default info)
//	LOG_FORMAT          text|json (default text)
//	HTTP_MAX_BODY_BYTES request body limit (default 65536)
package config

import (
	"fmt"
	"time"

	"github.com/caarlos0/env/v11"
)

// Postgres is the database connection.
type Postgres struct {
	URL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"`
}

// NATS is the broker connection.
type NATS struct {
	URL string `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222"`
}

// Log configures log/slog.
type Log struct {
	Level  string `env:"LOG_LEVEL" envDefault:"info"`
	Format string `env:"LOG_FORMAT" envDefault:"text"`
}

// HTTP configures the HTTP server. Addr has no default here: each service sets its own.
type HTTP struct {
	Addr            string        `env:"HTTP_ADDR"`
	ReadTimeout     time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"10s"`
	WriteTimeout    time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s"`
	IdleTimeout     time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"120s"`
	ShutdownTimeout time.Duration `env:"HTTP_SHUTDOWN_TIMEOUT" envDefault:"10s"`
	MaxBodyBytes    int64         `env:"HTTP_MAX_BODY_BYTES" envDefault:"65536"`
}

// Relay configures an outbox relay (cmd/cdc).
type Relay struct {
	BatchSize    int           `env:"RELAY_BATCH_SIZE" envDefault:"1000"`
	PollInterval time.Duration `env:"RELAY_POLL_INTERVAL" envDefault:"500ms"`
	MaxAttempts  int           `env:"RELAY_MAX_ATTEMPTS" envDefault:"10"`
	AckTimeout   time.Duration `env:"RELAY_ACK_TIMEOUT" envDefault:"5s"`
	// Source is where the relay reads committed events: auto (the write-ahead log when
	// wal_level=logical, else the table), log, or poll (ADR 0006).
	Source string `env:"RELAY_SOURCE" envDefault:"auto"`
}

// Service is the configuration shared by every cmd/service and cmd/cdc.
type Service struct {
	Postgres
	NATS
	Log
	HTTP
	Relay
}

// Load parses the environment into a new T. defaults are applied first by the caller
// setting fields on the zero value (for example a per-service HTTP address).
func Load[T any](defaults T) (T, error) {
	cfg := defaults
	if err := env.Parse(&cfg); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Mail says where e-mail goes: an SMTP server, or .eml files in a directory.
type Mail struct {
	// SMTPURL is smtp://[user:pass@]host:port (smtps:// for implicit TLS); empty
	// writes each mail as an .eml file to MailDir instead.
	SMTPURL string `env:"SMTP_URL"`
	MailDir string `env:"MAIL_DIR" envDefault:".pitstop-data/mail"`
}
