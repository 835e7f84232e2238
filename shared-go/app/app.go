// Package app wires a Pitstop context into a process: configuration, logging,
// Postgres, NATS JetStream, the HTTP server with health and metrics, background
// workers (consumers) and, for cmd/cdc, the outbox relay. The same Module runs in its
// own process (<context>/cmd/service) and inside the all-in-one (cmd/pitstop).
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/pitstop/pitstop/serviceapis/openapi"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/logging"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// Deps are the run-time dependencies a context's Module is built from.
type Deps struct {
	Pool     *pgxpool.Pool
	NC       *nats.Conn
	JS       jetstream.JetStream
	Log      *slog.Logger
	Registry *prometheus.Registry
	// Verifier checks the bearer tokens of API requests (the web app's public key). A
	// nil Verifier refuses every API request: a service is never open by omission.
	Verifier *auth.Verifier
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
}

// Registerer is d.Registry as a prometheus.Registerer, or a nil interface when there is
// no registry: a nil *Registry passed as an interface would not compare equal to nil,
// and the collectors would panic registering on it.
func (d Deps) Registerer() prometheus.Registerer {
	if d.Registry == nil {
		return nil
	}
	return d.Registry
}

// Module is a context's service: its HTTP routes and its background workers.
type Module interface {
	// Routes mounts the context's API on r (operational endpoints are already there).
	Routes(r chi.Router)
	// Workers are long-running loops (consumers, schedulers, mailers); each returns nil
	// when ctx is cancelled.
	Workers() []func(ctx context.Context) error
}

// ReadyChecker is implemented by modules whose workers can be backing off from an
// infrastructure fault (consumers, mail dispatchers): /readyz reports them too.
type ReadyChecker interface {
	ReadyChecks() []httpx.Check
}

// Builder migrates the context's schema and builds its Module.
type Builder func(ctx context.Context, d Deps) (Module, error)

// ConnectNATS connects to cfg.URL (one URL or a comma-separated list of a cluster's
// servers) with unlimited reconnects, and ensures the Pitstop stream exists with
// cfg.StreamReplicas replicas.
func ConnectNATS(ctx context.Context, cfg config.NATS, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	url := cfg.URL
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil on a deliberate Close
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrl()) }))
	if err != nil {
		return nil, nil, fmt.Errorf("connect nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	// The stream declaration is retried: at start-up NATS may still be coming up.
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = messaging.EnsureStreams(cctx, js, messaging.Replicas(cfg.StreamReplicas))
		cancel()
		if err == nil {
			return nc, js, nil
		}
		log.Warn("waiting for NATS JetStream", "err", err)
		select {
		case <-ctx.Done():
			nc.Close()
			return nil, nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// NewRegistry returns a Prometheus registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// NATSCheck is a readiness check of the NATS connection.
func NATSCheck(nc *nats.Conn) httpx.Check {
	return httpx.Check{Name: "nats", Check: func(context.Context) error {
		if s := nc.Status(); s != nats.CONNECTED {
			return fmt.Errorf("nats %s", s)
		}
		return nil
	}}
}

// Handler builds the HTTP handler of a module: operational endpoints (/healthz,
// /readyz, and /metrics, behind d.MetricsToken when set), the service's OpenAPI
// document at /openapi.yaml (serviceapis/openapi, by name), and its routes. Every route
// of the module and of the operator API (/admin) needs a bearer token that d.Verifier
// accepts, of a principal whom the service's policy allows: the roles its OpenAPI
// document lists per operation (x-pitstop-roles); /admin and anything undocumented are
// the administrator's (shared-go/auth).
func Handler(name string, d Deps, maxBody int64, m Module) http.Handler {
	checks := []httpx.Check{{Name: "postgres", Check: postgres.Ping(d.Pool)}, NATSCheck(d.NC)}
	if rc, ok := m.(ReadyChecker); ok {
		checks = append(checks, rc.ReadyChecks()...)
	}
	r := httpx.NewRouter(httpx.RouterOptions{Logger: d.Log, Registry: d.Registry, MaxBodyBytes: maxBody, Checks: checks,
		MetricsToken: d.MetricsToken})
	if spec := openapi.Spec(name); spec != nil {
		r.Get("/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(spec)
		})
	}
	r.Group(func(r chi.Router) {
		r.Use(auth.Middleware(d.Verifier, Policy(name)))
		m.Routes(r)
		MountAdmin(r, d, m)
	})
	return r
}

// Policy is who may call what on the service name: the roles of its OpenAPI
// document's operations (serviceapis/openapi). A service without a document is the
// administrator's alone. A document whose roles cannot be read is a bug of this
// repository, caught by every test that starts the service: it panics.
func Policy(name string) auth.Policy {
	spec := openapi.Spec(name)
	if spec == nil {
		return auth.NewPolicy()
	}
	p, err := auth.PolicyFromOpenAPI(spec)
	if err != nil {
		panic(fmt.Sprintf("the OpenAPI document of %s: %v", name, err))
	}
	return p
}

// RunModule serves m's HTTP API on httpCfg and runs its workers until ctx is cancelled
// or one of them fails.
func RunModule(ctx context.Context, name string, d Deps, httpCfg httpx.Config, m Module) error {
	ln, err := net.Listen("tcp", httpCfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", httpCfg.Addr, err)
	}
	return ServeModule(ctx, name, d, httpCfg, ln, m)
}

// ServeModule is RunModule on an open listener (the all-in-one chooses its ports).
func ServeModule(ctx context.Context, name string, d Deps, httpCfg httpx.Config, ln net.Listener, m Module) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return httpx.ServeListener(gctx, httpCfg, ln, Handler(name, d, httpCfg.MaxBodyBytes, m), d.Log)
	})
	for _, w := range m.Workers() {
		g.Go(func() error { return w(gctx) })
	}
	return g.Wait()
}

// RunRelay runs the outbox relay of schema with its operational HTTP endpoints on
// httpCfg.Addr until ctx is cancelled.
func RunRelay(ctx context.Context, name string, d Deps, httpCfg httpx.Config, rc outbox.RelayConfig) error {
	ln, err := net.Listen("tcp", httpCfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", httpCfg.Addr, err)
	}
	return ServeRelay(ctx, name, d, httpCfg, ln, rc)
}

// ServeRelay is RunRelay on an open listener (the all-in-one chooses its ports).
func ServeRelay(ctx context.Context, name string, d Deps, httpCfg httpx.Config, ln net.Listener, rc outbox.RelayConfig) error {
	defer ln.Close()
	if err := outbox.Migrate(ctx, d.Pool, rc.Schema); err != nil {
		return err
	}
	relay, err := outbox.NewRelay(d.Pool, d.NC, rc, d.Log, d.Registerer())
	if err != nil {
		return err
	}
	r := httpx.NewRouter(httpx.RouterOptions{Logger: d.Log, Registry: d.Registry, MetricsToken: d.MetricsToken,
		Checks: []httpx.Check{{Name: "relay", Check: relay.Ready}}})
	r.Get("/leader", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"leader": relay.IsLeader(), "source": relay.Source()})
	})
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return httpx.ServeListener(gctx, httpCfg, ln, r, d.Log) })
	g.Go(func() error { return relay.Run(gctx) })
	return g.Wait()
}

// RelayConfig converts the environment's relay settings for schema.
func RelayConfig(c config.Relay, schema string) outbox.RelayConfig {
	return outbox.RelayConfig{Schema: schema, BatchSize: c.BatchSize, PollInterval: c.PollInterval,
		MaxAttempts: c.MaxAttempts, AckTimeout: c.AckTimeout, Source: outbox.Source(c.Source)}
}

// HTTPConfig converts the environment's HTTP settings, using defaultAddr when HTTP_ADDR is unset.
func HTTPConfig(c config.HTTP, defaultAddr string) httpx.Config {
	addr := c.Addr
	if addr == "" {
		addr = defaultAddr
	}
	return httpx.Config{Addr: addr, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
		IdleTimeout: c.IdleTimeout, ShutdownTimeout: c.ShutdownTimeout, MaxBodyBytes: c.MaxBodyBytes}
}

// connect connects Postgres (schema) and NATS as name, with the logger of cfg.
func connect(ctx context.Context, name, schema string, cfg config.Service) (Deps, func(), error) {
	log := logging.New(name, cfg.Log.Level, cfg.Log.Format)
	pool, err := postgres.Connect(ctx, cfg.Postgres.URL, schema)
	if err != nil {
		return Deps{}, nil, err
	}
	nc, js, err := ConnectNATS(ctx, cfg.NATS, name, log)
	if err != nil {
		pool.Close()
		return Deps{}, nil, err
	}
	d := Deps{Pool: pool, NC: nc, JS: js, Log: log, Registry: NewRegistry(), MetricsToken: cfg.Metrics.Token}
	if cfg.Auth.PublicKey != "" {
		key, err := auth.ParsePublicKey(cfg.Auth.PublicKey)
		if err != nil { // checked before connecting too (verifierFrom); kept for safety
			nc.Close()
			pool.Close()
			return Deps{}, nil, err
		}
		d.Verifier = auth.NewVerifier(key)
	}
	return d, func() { _ = nc.Drain(); pool.Close() }, nil
}

// loadService parses the environment once into the configuration of c's service and
// resolves the Options c uses. An error is a configuration error.
func loadService(c Context) (config.Service, Options, error) {
	cfg, err := config.Load(config.Service{})
	if err != nil {
		return cfg, Options{}, err
	}
	if cfg.Auth.PublicKey == "" {
		return cfg, Options{}, errors.New("AUTH_PUBLIC_KEY is required: the web app's token-signing public key " +
			"(an API without it would be open to whoever reaches its port)")
	}
	if _, err := auth.ParsePublicKey(cfg.Auth.PublicKey); err != nil {
		return cfg, Options{}, fmt.Errorf("AUTH_PUBLIC_KEY: %w", err)
	}
	o, err := c.OptionsFrom(cfg)
	return cfg, o, err
}

// invalidConfig logs a configuration error and returns config.ExitConfig.
func invalidConfig(name string, err error) int {
	slog.Error("start-up failed: invalid configuration", "service", name, "err", err)
	return config.ExitConfig
}

// MainService is the whole main of a <context>/cmd/service: it parses the
// environment once (shared-go/config), connects, builds c and serves it on c.Addr()
// (HTTP_ADDR overrides it) until SIGINT or SIGTERM. It returns the exit code: 0 after
// a signal, config.ExitConfig (2) when the configuration is invalid, 1 when start-up
// or the service fails.
func MainService(c Context) int {
	cfg, o, err := loadService(c)
	if err != nil {
		return invalidConfig(c.Name, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, closeFn, err := connect(ctx, c.Name, c.Schema, cfg)
	if err != nil {
		slog.Error("start-up failed", "service", c.Name, "err", err)
		return 1
	}
	defer closeFn()
	m, err := c.Build(ctx, d, o)
	if err != nil {
		d.Log.Error("start-up failed", "err", err)
		return 1
	}
	if err := RunModule(ctx, c.Name, d, HTTPConfig(cfg.HTTP, c.Addr()), m); err != nil && !errors.Is(err, context.Canceled) {
		d.Log.Error("service failed", "err", err)
		return 1
	}
	d.Log.Info("service stopped")
	return 0
}

// MainRelay is the whole main of a <context>/cmd/cdc: it parses the environment once,
// connects and relays c's outbox, serving /healthz, /readyz, /metrics and /leader on
// c.RelayAddr() (HTTP_ADDR overrides it), until SIGINT or SIGTERM. Exit codes as for
// MainService.
func MainRelay(c Context) int {
	name := c.RelayName()
	if !c.Publishes {
		slog.Error("start-up failed: the context has no outbox to relay", "service", name)
		return 1
	}
	cfg, err := config.Load(config.Service{}) // a relay needs none of the context's Options
	if err != nil {
		return invalidConfig(name, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, closeFn, err := connect(ctx, name, c.Schema, cfg)
	if err != nil {
		slog.Error("start-up failed", "service", name, "err", err)
		return 1
	}
	defer closeFn()
	rc := RelayConfig(cfg.Relay, c.Schema)
	rc.StreamReplicas = cfg.NATS.StreamReplicas // a stream the relay declares again keeps the cluster's replicas
	if err := RunRelay(ctx, name, d, HTTPConfig(cfg.HTTP, c.RelayAddr()), rc); err != nil &&
		!errors.Is(err, context.Canceled) {
		d.Log.Error("relay failed", "err", err)
		return 1
	}
	d.Log.Info("relay stopped")
	return 0
}
