// Package webapp is Pitstop's web front-end and API gateway, on one port (7005).
//
// The pages (customers, vehicles, the workshop's day planning, the business day,
// reminders and invoices) are rendered on the server from embedded templates and
// assets; they call the APIs through the gateway's balancer, so they see the same
// instances and health as the proxied API requests.
// The gateway proxies /api/customers, /api/vehicles, /api/workshopplanning,
// /api/refdata, /api/invoices, /api/reminders, /api/auditlog and /api/time to their
// services, round-robin over each service's instances, skipping instances that are
// down. When JetStream is given, the workshop day view updates itself when jobs are
// planned or finished anywhere (server-sent events fed by the workshop's events).
//
// Staff sign in on /signin (sessions in Postgres, schema "webapp", package identity);
// every page but /signin, /static and the health endpoints needs a session, and the
// pages call the APIs with a bearer token minted for the signed-in staff member. API
// clients and scripts get a token from POST /api/token (a staff account's user name
// and password, or an API client's name and secret); every proxied /api request needs
// one, allowed by the target operation's x-pitstop-roles (README, "Sign-in and tokens").
//
// A WebApp is an app.Module (Routes and Workers). Serve it with Handler, whose
// /readyz does not check Postgres or the services.
package webapp

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
	"github.com/pitstop/pitstop/webapp/internal/gateway"
	"github.com/pitstop/pitstop/webapp/internal/identity"
	"github.com/pitstop/pitstop/webapp/internal/live"
	"github.com/pitstop/pitstop/webapp/internal/web"
)

// Name is the webapp's service name (logs, metrics).
const Name = "webapp"

// DefaultAddr is the documented listen address (SYSTEM.md 6).
const DefaultAddr = ":7005"

// Service names, the keys of Options.Upstreams.
const (
	Customers     = gateway.Customers
	Vehicles      = gateway.Vehicles
	Workshop      = gateway.Workshop
	Notifications = gateway.Notifications
	Invoicing     = gateway.Invoicing
	Timekeeper    = gateway.Timekeeper
	Auditlog      = gateway.Auditlog
)

// DefaultUpstreams are the services on their documented local ports.
func DefaultUpstreams() map[string][]string {
	return map[string][]string{
		Customers:     {"http://127.0.0.1:5100"},
		Vehicles:      {"http://127.0.0.1:5000"},
		Workshop:      {"http://127.0.0.1:5200"},
		Notifications: {"http://127.0.0.1:5300"},
		Invoicing:     {"http://127.0.0.1:5400"},
		Timekeeper:    {"http://127.0.0.1:5500"},
		Auditlog:      {"http://127.0.0.1:5600"},
	}
}

// Options configure New.
type Options struct {
	// Upstreams are each service's instance base URLs, e.g. "customers" ->
	// ["http://10.0.0.1:5100", "http://10.0.0.2:5100"]. A service without instances
	// is answered 503 (its pages show "offline").
	Upstreams map[string][]string
	// JetStream feeds the live updates of the day view; nil disables them.
	JetStream jetstream.JetStream
	Log       *slog.Logger
	// Registry receives the gateway's metrics (nil: not exported).
	Registry *prometheus.Registry
	// Location is the garage's time zone, for "today" and times of day (default Local).
	Location *time.Location
	// HealthInterval is the period of the instances' /readyz probes (default 2s).
	HealthInterval time.Duration
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// Transport sends the requests to the services (default: a tuned clone of
	// http.DefaultTransport).
	Transport http.RoundTripper

	// Pool is the web app's database (staff accounts, API clients, sessions): its
	// search_path must be schema "webapp" (postgres.Connect(ctx, url, webapp.Schema));
	// New migrates it. Required.
	Pool *pgxpool.Pool
	// SigningKey signs the bearer tokens (AUTH_SIGNING_KEY); the services verify them
	// with its public key (AUTH_PUBLIC_KEY). Required.
	SigningKey ed25519.PrivateKey
	// TokenTTL is how long a token is valid (default auth.DefaultTTL).
	TokenTTL time.Duration
	// AdminPassword is the password of the administrator "admin" that New creates when
	// there is no administrator (PITSTOP_ADMIN_PASSWORD); "" makes it a random
	// one-time password, logged and returned by BootstrapNotice.
	AdminPassword string
	// InsecureCookies drops the cookies' Secure flag, for plain-HTTP deployments
	// reached by another name than localhost (browsers keep Secure cookies of
	// http://localhost). Never in production.
	InsecureCookies bool
	// MetricsToken, when set, puts /metrics behind "Authorization: Bearer <token>".
	MetricsToken string
	// Identity tunes the accounts store (tests: cheaper password hashing); Now is
	// taken from Options.Now.
	Identity identity.Config
}

// Schema is the web app's Postgres schema (Options.Pool).
const Schema = identity.Schema

// WebApp is the web front-end and API gateway.
type WebApp struct {
	gw    *gateway.Gateway
	pages *web.Handlers
	feed  *live.Feed
	log   *slog.Logger
	reg   *prometheus.Registry
	// metricsToken, when set, is the bearer token /metrics requires.
	metricsToken string

	bootstrapNotice string

	handlerOnce sync.Once
	handler     http.Handler
}

var _ app.Module = (*WebApp)(nil)

// New builds the webapp: it migrates its database and creates the first
// administrator if there is none; it contacts no service yet (they may start later).
func New(ctx context.Context, o Options) (*WebApp, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Pool == nil {
		return nil, errors.New("webapp: Options.Pool is required (the staff accounts and sessions)")
	}
	if len(o.SigningKey) != ed25519.PrivateKeySize {
		return nil, errors.New("webapp: Options.SigningKey (an Ed25519 private key) is required")
	}
	if o.Now != nil {
		o.Identity.Now = o.Now
	}
	ids, err := identity.Open(ctx, o.Pool, o.Identity)
	if err != nil {
		return nil, fmt.Errorf("webapp: %w", err)
	}
	notice, err := ids.Bootstrap(ctx, o.AdminPassword)
	if err != nil {
		return nil, fmt.Errorf("webapp: %w", err)
	}
	if notice != "" {
		o.Log.Warn(notice)
	}
	signer := auth.NewSigner(o.SigningKey, o.TokenTTL)
	verifier := auth.NewVerifier(o.SigningKey.Public().(ed25519.PublicKey))
	if o.Location == nil {
		o.Location = time.Local
	}
	gw, err := gateway.New(gateway.Config{Upstreams: o.Upstreams, Transport: o.Transport,
		HealthInterval: o.HealthInterval, Log: o.Log, Registry: o.Registry, Verifier: verifier})
	if err != nil {
		return nil, err
	}
	var (
		hub  *live.Hub
		feed *live.Feed
	)
	if o.JetStream != nil {
		hub = live.NewHub()
		feed = live.NewFeed(o.JetStream, hub, o.Log)
	}
	pages, err := web.New(web.Config{
		Customers: apiclient.NewCustomers(gw.Upstream(Customers)),
		Vehicles:  apiclient.NewVehicles(gw.Upstream(Vehicles)),
		Workshop:  apiclient.NewWorkshop(gw.Upstream(Workshop)),

		Timekeeper:    apiclient.NewTimekeeper(gw.Upstream(Timekeeper)),
		Notifications: apiclient.NewNotifications(gw.Upstream(Notifications)),
		Invoicing:     apiclient.NewInvoicing(gw.Upstream(Invoicing)),

		Gateway: gw, Hub: hub, Location: o.Location, Now: o.Now, Log: o.Log,
		Identity: ids, Signer: signer, InsecureCookies: o.InsecureCookies,
	})
	if err != nil {
		return nil, err
	}
	return &WebApp{gw: gw, pages: pages, feed: feed, log: o.Log, reg: o.Registry, bootstrapNotice: notice,
		metricsToken: o.MetricsToken}, nil
}

// BootstrapNotice is what New logged when it created the first administrator (how to
// sign in, with the one-time password if it chose one), or "" when an administrator
// existed already. The all-in-one prints it.
func (a *WebApp) BootstrapNotice() string { return a.bootstrapNotice }

// Routes mounts the API gateway (/api/...), the pages and the static assets on r, and
// makes unknown paths answer a problem document under /api/ and an HTML page elsewhere.
func (a *WebApp) Routes(r chi.Router) {
	a.gw.Routes(r)
	a.pages.Routes(r)
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/api/") || !strings.Contains(req.Header.Get("Accept"), "text/html") {
			problem.Status(w, req, http.StatusNotFound, "no such resource")
			return
		}
		a.pages.NotFound(w, req)
	})
}

// Workers are the instances' health checker and, with JetStream, the live-update
// feed. Each returns nil when ctx is cancelled.
func (a *WebApp) Workers() []func(ctx context.Context) error {
	ws := []func(context.Context) error{a.gw.RunHealthChecks}
	if a.feed != nil {
		ws = append(ws, a.feed.Run)
	}
	return ws
}

// LiveReady is closed once the live-update feed consumes JetStream (never, without
// JetStream).
func (a *WebApp) LiveReady() <-chan struct{} {
	if a.feed == nil {
		return make(chan struct{})
	}
	return a.feed.Ready()
}

// Handler is the webapp's complete HTTP handler: Pitstop's router (request ids, body
// limit maxBody, RED metrics on the Registry, /healthz, /readyz, /metrics) with
// Routes. /readyz checks nothing external: the webapp serves (and shows "offline"
// pages) whatever the services' state. The handler is built once; later calls return
// it again (the metrics can be registered only once).
func (a *WebApp) Handler(maxBody int64) http.Handler {
	a.handlerOnce.Do(func() {
		r := httpx.NewRouter(httpx.RouterOptions{Logger: a.log, Registry: a.reg, MaxBodyBytes: maxBody,
			MetricsToken: a.metricsToken})
		a.Routes(r)
		a.handler = r
	})
	return a.handler
}

// Run serves the webapp on cfg.Addr and runs its workers until ctx is cancelled or
// one of them fails.
func (a *WebApp) Run(ctx context.Context, cfg httpx.Config) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return httpx.Serve(gctx, cfg, a.Handler(cfg.MaxBodyBytes), a.log) })
	for _, w := range a.Workers() {
		g.Go(func() error { return w(gctx) })
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
