// Package config parses Pitstop's configuration from the environment, once, in main,
// into typed structs with documented defaults. Adapters never read the environment.
//
// Common variables (every process):
//
//	DATABASE_URL        Postgres URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
//	NATS_URL            NATS URL, or a comma-separated list of the URLs of a cluster's
//	                    servers (default nats://127.0.0.1:4222)
//	NATS_STREAM_REPLICAS replicas of the PITSTOP stream: 1 on a single server, 3 on a
//	                    three-node JetStream cluster (default 1)
//	HTTP_ADDR           listen address (default per service, e.g. :5100)
//	LOG_LEVEL           debug|info|warn|error (default info)
//	LOG_FORMAT          text|json (default text)
//	HTTP_MAX_BODY_BYTES request body limit (default 65536)
//
// Variables of some contexts only (parsed by every process, used by those that need
// them; see app.Context):
//
//	SMTP_URL              smtp://[user:pass@]host:port of the mail server (invoicing,
//	                      notifications); empty (the default) writes .eml files to MAIL_DIR
//	MAIL_DIR              directory of those .eml files (default .pitstop-data/mail)
//	TIMEKEEPER_TIME_ZONE  IANA time zone whose midnight begins a business day
//	                      (timekeeper; default Europe/Amsterdam)
//
// Exit codes: a process whose configuration is invalid (a variable that does not
// parse, an SMTP_URL or time zone that does not resolve) exits with ExitConfig (2)
// before it connects to anything; a process that fails after that exits with 1.
package config

import (
	"errors"
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
	// URL is one NATS URL or a comma-separated list of them
	// ("nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222"): the client connects
	// to one and fails over to the others (and to those the cluster gossips).
	URL string `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	// StreamReplicas is the replica count every process declares the PITSTOP stream
	// with: 1 on a single server, 3 (or 5) on a JetStream cluster of at least that many
	// nodes. Every process of a deployment must say the same (a later declaration wins).
	StreamReplicas int `env:"NATS_STREAM_REPLICAS" envDefault:"1"`
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

// Auth configures who may call a service's API. Every API route needs a bearer token
// signed by the web app (shared-go/auth); a service verifies it with the web app's
// public key. Read by the services (cmd/service), not by the relays.
type Auth struct {
	// PublicKey is the web app's Ed25519 public key, 32 bytes in base64 or a PEM
	// PUBLIC KEY. Required; without it a service refuses to start (it must never be
	// open to whoever reaches its port).
	PublicKey string `env:"AUTH_PUBLIC_KEY"`
}

// Metrics configures /metrics of every process.
type Metrics struct {
	// Token, when set, puts /metrics behind "Authorization: Bearer <token>"
	// (Prometheus's authorization.credentials); empty leaves /metrics open.
	Token string `env:"METRICS_TOKEN"`
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

// Service is the configuration of every cmd/service and cmd/cdc, parsed once by
// app.MainService or app.MainRelay. Mail and TimeZone are resolved only for the
// contexts that use them.
type Service struct {
	Postgres
	NATS
	Log
	HTTP
	Relay
	Mail
	TimeZone
	Auth
	Metrics
}

// ExitConfig is the exit code of a process whose configuration is invalid.
const ExitConfig = 2

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

// DefaultTimeZone is the garage's time zone unless TIMEKEEPER_TIME_ZONE says otherwise.
const DefaultTimeZone = "Europe/Amsterdam"

// TimeZone is the garage's time zone: a business day begins at its local midnight.
type TimeZone struct {
	// Name is an IANA time zone name such as Europe/Amsterdam.
	Name string `env:"TIMEKEEPER_TIME_ZONE" envDefault:"Europe/Amsterdam"`
}

// Location resolves Name. An empty Name is an error (time.LoadLocation would take it
// for UTC), and so is a name the time zone database does not know; the error names
// the variable.
func (z TimeZone) Location() (*time.Location, error) {
	if z.Name == "" {
		return nil, fmt.Errorf("TIMEKEEPER_TIME_ZONE=%q: %w", z.Name,
			errors.New("empty: name an IANA time zone such as "+DefaultTimeZone))
	}
	loc, err := time.LoadLocation(z.Name)
	if err != nil {
		return nil, fmt.Errorf("TIMEKEEPER_TIME_ZONE=%q: %w", z.Name, err)
	}
	return loc, nil
}
