// Package system starts the whole of Pitstop in one process: every context's service
// and every outbox relay, each on its own port as in SYSTEM.md section 6, on one
// Postgres database (a schema per context) and one NATS JetStream, which is started
// in-process when no NATS URL is given. cmd/pitstop (make run) and the end-to-end
// features use it.
package system

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats-server/v2/server"
	"golang.org/x/sync/errgroup"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/timekeeper"
	"github.com/pitstop/pitstop/webapp"
)

// Options configure Start.
type Options struct {
	// DatabaseURL is the Postgres database every context uses (a schema each). Required.
	DatabaseURL string
	// NATSURL is an external NATS server; empty starts JetStream in-process.
	NATSURL string
	// DataDir holds the in-process JetStream's storage (and future embedded state).
	DataDir string
	// NATSPort is the in-process JetStream's port (default 4223, beside a system
	// nats-server on 4222).
	NATSPort int
	// Host is the listen host (default 127.0.0.1).
	Host string
	// FreePorts listens on OS-chosen ports instead of the documented ones (tests).
	FreePorts bool
	// PollInterval is the relays' polling fallback (default 500ms).
	PollInterval time.Duration
	// Mail delivers e-mail; nil writes .eml files to DataDir/mail.
	Mail mail.Sender
	// MailPoll is the mail dispatchers' polling fallback (zero: the mail default).
	MailPoll time.Duration
	// TimeZone is the garage's, for timekeeper and the web front-end (nil:
	// timekeeper.DefaultTimeZone).
	TimeZone *time.Location
	// NoWebApp leaves out the web front-end and API gateway.
	NoWebApp bool
	// Contexts to run (default Contexts(...) from the options above).
	Contexts []Context
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// SigningKey signs the web app's tokens; the services verify them with its public
	// key. Nil generates a key for this run (tokens then die with the process).
	SigningKey ed25519.PrivateKey
	// AdminPassword is the first administrator's password (PITSTOP_ADMIN_PASSWORD);
	// empty makes the web app print a one-time password at first start.
	AdminPassword string
	// MetricsToken, when set, guards every /metrics.
	MetricsToken string
	// InsecureCookies lets the web app's session cookie go over plain HTTP (browsers
	// other than Chrome and Firefox, which accept Secure cookies from localhost).
	InsecureCookies bool
}

// Endpoint is one listening HTTP server.
type Endpoint struct {
	Name string
	URL  string
}

// System is a running Pitstop.
type System struct {
	// Endpoints lists every HTTP server, services then relays, in start order.
	Endpoints []Endpoint
	// NATSURL is the broker's client URL.
	NATSURL string
	// Signer issues tokens the services accept (the web app's key): for tests and tools.
	Signer *auth.Signer
	// SignIn says how to sign in the first time (the web app's bootstrap notice: the
	// one-time administrator password), or "" once an administrator exists.
	SignIn string

	urls   map[string]string
	cancel context.CancelFunc
	group  *errgroup.Group
	closer []func()
	once   sync.Once
	err    error
}

// URL is the base URL of the named service ("customers", "customers-cdc", ...).
func (s *System) URL(name string) string { return s.urls[name] }

// Start connects, migrates and starts everything, and returns once every HTTP server
// listens. Stop (or cancelling ctx) shuts it down.
func Start(ctx context.Context, o Options) (*System, error) {
	if o.DatabaseURL == "" {
		return nil, errors.New("a database URL is required")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DataDir == "" {
		o.DataDir = ".pitstop-data"
	}
	if o.Mail == nil {
		o.Mail = mail.NewFileSender(filepath.Join(o.DataDir, "mail"))
	}
	if o.TimeZone == nil { // resolved here so the web front-end and timekeeper agree on "today"
		loc, err := time.LoadLocation(timekeeper.DefaultTimeZone)
		if err != nil {
			return nil, fmt.Errorf("time zone: %w", err)
		}
		o.TimeZone = loc
	}
	if o.Contexts == nil {
		o.Contexts = Contexts(ContextOptions{Mail: o.Mail, TimeZone: o.TimeZone,
			MailDispatch: mail.DispatcherConfig{PollInterval: o.MailPoll}})
	}
	if o.SigningKey == nil {
		_, key, err := auth.GenerateKey()
		if err != nil {
			return nil, err
		}
		o.SigningKey = key
	}
	verifier := auth.NewVerifier(o.SigningKey.Public().(ed25519.PublicKey))
	s := &System{urls: map[string]string{}, Signer: auth.NewSigner(o.SigningKey, 0)}
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()

	natsURL := o.NATSURL
	if natsURL == "" {
		ns, err := startNATS(o.DataDir, o.Host, o.NATSPort, o.FreePorts)
		if err != nil {
			return nil, err
		}
		s.closer = append(s.closer, func() { ns.Shutdown(); ns.WaitForShutdown() })
		natsURL = ns.ClientURL()
	}
	s.NATSURL = natsURL

	rctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	g, gctx := errgroup.WithContext(rctx)
	s.group = g

	for _, c := range o.Contexts {
		log := o.Logger.With("service", c.Name)
		pool, err := postgres.Connect(ctx, o.DatabaseURL, c.Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		s.closer = append(s.closer, pool.Close)
		nc, js, err := app.ConnectNATS(ctx, config.NATS{URL: natsURL, StreamReplicas: 1}, "pitstop-"+c.Name, log)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		s.closer = append(s.closer, nc.Close)
		d := app.Deps{Pool: pool, NC: nc, JS: js, Log: log, Registry: app.NewRegistry(), Verifier: verifier,
			MetricsToken: o.MetricsToken}
		m, err := c.Build(ctx, d, c.Options)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		cfg := httpx.DefaultConfig("")
		ln, err := s.listen(o, c.Name, c.Port)
		if err != nil {
			return nil, err
		}
		g.Go(func() error { return app.ServeModule(gctx, c.Name, d, cfg, ln, m) })
		if c.Publishes {
			rname := c.RelayName()
			rlog := o.Logger.With("service", rname)
			rd := app.Deps{Pool: pool, NC: nc, JS: js, Log: rlog, Registry: app.NewRegistry(), MetricsToken: o.MetricsToken}
			rln, err := s.listen(o, rname, c.Port+1)
			if err != nil {
				return nil, err
			}
			rc := outbox.RelayConfig{Schema: c.Schema, PollInterval: o.PollInterval}
			g.Go(func() error { return app.ServeRelay(gctx, rname, rd, cfg, rln, rc) })
		}
	}
	if !o.NoWebApp {
		if err := s.startWebApp(ctx, gctx, g, o); err != nil {
			return nil, err
		}
	}
	ok = true
	return s, nil
}

// startWebApp serves the web front-end and API gateway (port 7005) in front of the
// contexts, each as one upstream instance.
func (s *System) startWebApp(ctx, gctx context.Context, g *errgroup.Group, o Options) error {
	log := o.Logger.With("service", webapp.Name)
	nc, js, err := app.ConnectNATS(ctx, config.NATS{URL: s.NATSURL, StreamReplicas: 1}, "pitstop-webapp", log)
	if err != nil {
		return fmt.Errorf("webapp: %w", err)
	}
	s.closer = append(s.closer, nc.Close)
	pool, err := postgres.Connect(ctx, o.DatabaseURL, webapp.Schema)
	if err != nil {
		return fmt.Errorf("webapp: %w", err)
	}
	s.closer = append(s.closer, pool.Close)
	upstreams := map[string][]string{}
	for _, c := range o.Contexts { // context names are the webapp's service names
		upstreams[c.Name] = []string{s.urls[c.Name]}
	}
	wa, err := webapp.New(ctx, webapp.Options{Upstreams: upstreams, JetStream: js, Log: log,
		Registry: app.NewRegistry(), Location: o.TimeZone, Pool: pool, SigningKey: o.SigningKey,
		AdminPassword: o.AdminPassword, InsecureCookies: o.InsecureCookies, MetricsToken: o.MetricsToken})
	if err != nil {
		return fmt.Errorf("webapp: %w", err)
	}
	s.SignIn = wa.BootstrapNotice()
	ln, err := s.listen(o, webapp.Name, 7005)
	if err != nil {
		return err
	}
	cfg := httpx.DefaultConfig("")
	h := wa.Handler(cfg.MaxBodyBytes)
	g.Go(func() error { return httpx.ServeListener(gctx, cfg, ln, h, log) })
	for _, w := range wa.Workers() {
		g.Go(func() error { return w(gctx) })
	}
	return nil
}

func (s *System) listen(o Options, name string, port int) (net.Listener, error) {
	if o.FreePorts {
		port = 0
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, fmt.Sprint(port)))
	if err != nil {
		return nil, fmt.Errorf("%s: listen: %w", name, err)
	}
	s.closer = append(s.closer, func() { _ = ln.Close() })
	u := "http://" + ln.Addr().String()
	s.urls[name] = u
	s.Endpoints = append(s.Endpoints, Endpoint{Name: name, URL: u})
	return ln, nil
}

// Wait blocks until the system stops and returns the first error that stopped it.
func (s *System) Wait() error {
	err := s.group.Wait()
	s.closeAll()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Stop shuts everything down gracefully and waits for it.
func (s *System) Stop() error {
	s.once.Do(func() {
		s.cancel()
		s.err = s.Wait()
	})
	return s.err
}

func (s *System) closeAll() {
	for i := len(s.closer) - 1; i >= 0; i-- {
		s.closer[i]()
	}
	s.closer = nil
}

func startNATS(dataDir, host string, port int, freePort bool) (*server.Server, error) {
	if port == 0 {
		port = 4223
	}
	if freePort {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "pitstop",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "nats"),
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats did not become ready (is its port taken? set PITSTOP_NATS_PORT or NATS_URL)")
	}
	return ns, nil
}

// EnsureDatabase creates the database named in url if it does not exist, connecting to
// the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if postgres.IsCode(err, "42P04") { // created concurrently
		return nil
	}
	return err
}
