// Command webapp runs Pitstop's web front-end and API gateway on its own, in front of
// services running elsewhere.
//
// Environment (each *_URLS is a comma-separated list of a service's instances):
//
//	CUSTOMERS_URLS      default http://127.0.0.1:5100
//	VEHICLES_URLS       default http://127.0.0.1:5000
//	WORKSHOP_URLS       default http://127.0.0.1:5200
//	NOTIFICATIONS_URLS  default http://127.0.0.1:5300
//	INVOICING_URLS      default http://127.0.0.1:5400
//	TIMEKEEPER_URLS     default http://127.0.0.1:5500
//	AUDITLOG_URLS       default http://127.0.0.1:5600
//	NATS_URL            NATS JetStream for the day view's live updates (default nats://127.0.0.1:4222)
//	LIVE_UPDATES        false disables the live updates (and NATS) (default true)
//	PITSTOP_TIMEZONE    the garage's time zone, e.g. Europe/Amsterdam (default: the machine's)
//	HEALTH_INTERVAL     period of the instances' /readyz probes (default 2s)
//	HTTP_ADDR           listen address (default :7005); other HTTP_* and LOG_* as for every service
//	DATABASE_URL        Postgres of the staff accounts, API clients and sessions (schema "webapp")
//	                    (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
//	AUTH_SIGNING_KEY    required: the Ed25519 private key that signs the bearer tokens, its
//	                    32-byte seed in base64 or a PEM PRIVATE KEY; the services get the
//	                    public key as AUTH_PUBLIC_KEY (`go run ./cmd/pitstop keys` prints a pair)
//	AUTH_TOKEN_TTL      lifetime of the tokens of /api/token and of the pages (default 15m)
//	PITSTOP_ADMIN_PASSWORD  password of the administrator "admin" created at the first start
//	                    when there is none (default: a one-time password, logged at WARN,
//	                    to be changed at the first sign-in)
//	INSECURE_COOKIES    true drops the cookies' Secure flag: only for plain HTTP reached by
//	                    another name than localhost (default false)
//	METRICS_TOKEN       when set, /metrics needs "Authorization: Bearer <token>"
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/logging"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/webapp"
)

type cfg struct {
	Customers       []string      `env:"CUSTOMERS_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5100"`
	Vehicles        []string      `env:"VEHICLES_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5000"`
	Workshop        []string      `env:"WORKSHOP_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5200"`
	Notifications   []string      `env:"NOTIFICATIONS_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5300"`
	Invoicing       []string      `env:"INVOICING_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5400"`
	Timekeeper      []string      `env:"TIMEKEEPER_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5500"`
	Auditlog        []string      `env:"AUDITLOG_URLS" envSeparator:"," envDefault:"http://127.0.0.1:5600"`
	LiveUpdates     bool          `env:"LIVE_UPDATES" envDefault:"true"`
	TimeZone        string        `env:"PITSTOP_TIMEZONE"`
	HealthInterval  time.Duration `env:"HEALTH_INTERVAL" envDefault:"2s"`
	SigningKey      string        `env:"AUTH_SIGNING_KEY"`
	TokenTTL        time.Duration `env:"AUTH_TOKEN_TTL" envDefault:"15m"`
	AdminPassword   string        `env:"PITSTOP_ADMIN_PASSWORD"`
	InsecureCookies bool          `env:"INSECURE_COOKIES" envDefault:"false"`
	config.Postgres
	config.NATS
	config.Log
	config.HTTP
	config.Metrics
}

func main() { os.Exit(run()) }

func run() int {
	c, err := config.Load(cfg{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := logging.New(webapp.Name, c.Level, c.Format)
	if c.SigningKey == "" {
		fmt.Fprintln(os.Stderr, "AUTH_SIGNING_KEY is required: the Ed25519 private key (32-byte seed in base64, or PEM) that signs the bearer tokens")
		return 2
	}
	key, err := auth.ParsePrivateKey(c.SigningKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "AUTH_SIGNING_KEY:", err)
		return 2
	}
	if c.TokenTTL <= 0 || c.TokenTTL > 24*time.Hour {
		fmt.Fprintln(os.Stderr, "AUTH_TOKEN_TTL: want a duration between 1s and 24h, e.g. 15m")
		return 2
	}
	loc := time.Local
	if c.TimeZone != "" {
		if loc, err = time.LoadLocation(c.TimeZone); err != nil {
			log.Error("PITSTOP_TIMEZONE", "err", err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	o := webapp.Options{
		Upstreams: map[string][]string{
			webapp.Customers: c.Customers, webapp.Vehicles: c.Vehicles, webapp.Workshop: c.Workshop,
			webapp.Notifications: c.Notifications, webapp.Invoicing: c.Invoicing,
			webapp.Timekeeper: c.Timekeeper, webapp.Auditlog: c.Auditlog,
		},
		Log: log, Registry: app.NewRegistry(), Location: loc, HealthInterval: c.HealthInterval,
		SigningKey: key, TokenTTL: c.TokenTTL, AdminPassword: c.AdminPassword, InsecureCookies: c.InsecureCookies,
		MetricsToken: c.Metrics.Token,
	}
	pool, err := postgres.Connect(ctx, c.Postgres.URL, webapp.Schema)
	if err != nil {
		log.Error("postgres", "err", err)
		return 1
	}
	defer pool.Close()
	o.Pool = pool
	if c.LiveUpdates {
		// Not app.ConnectNATS: the pages must not wait for NATS; the live feed retries.
		nc, err := nats.Connect(c.NATS.URL, nats.Name(webapp.Name), nats.MaxReconnects(-1),
			nats.RetryOnFailedConnect(true), nats.ReconnectWait(250*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
			nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrl()) }))
		if err != nil {
			log.Error("nats", "err", err)
			return 1
		}
		defer nc.Close()
		if o.JetStream, err = jetstream.New(nc); err != nil {
			log.Error("jetstream", "err", err)
			return 1
		}
	}
	wa, err := webapp.New(ctx, o)
	if err != nil {
		log.Error("start-up failed", "err", err)
		return 1
	}
	for name, urls := range o.Upstreams {
		log.Info("upstream", "upstream", name, "instances", urls)
	}
	if err := wa.Run(ctx, app.HTTPConfig(c.HTTP, webapp.DefaultAddr)); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("webapp failed", "err", err)
		return 1
	}
	log.Info("webapp stopped")
	return 0
}
