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
// A WebApp is an app.Module (Routes and Workers). It has no database: serve it with
// Handler, whose /readyz does not check Postgres.
package webapp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
	"github.com/pitstop/pitstop/webapp/internal/gateway"
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
}

// WebApp is the web front-end and API gateway.
type WebApp struct {
	gw    *gateway.Gateway
	pages *web.Handlers
	feed  *live.Feed
	log   *slog.Logger
	reg   *prometheus.Registry

	handlerOnce sync.Once
	handler     http.Handler
}

var _ app.Module = (*WebApp)(nil)

// New builds the webapp; it contacts nothing yet (the services may start later).
func New(_ context.Context, o Options) (*WebApp, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	gw, err := gateway.New(gateway.Config{Upstreams: o.Upstreams, Transport: o.Transport,
		HealthInterval: o.HealthInterval, Log: o.Log, Registry: o.Registry})
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
	})
	if err != nil {
		return nil, err
	}
	return &WebApp{gw: gw, pages: pages, feed: feed, log: o.Log, reg: o.Registry}, nil
}

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
		r := httpx.NewRouter(httpx.RouterOptions{Logger: a.log, Registry: a.reg, MaxBodyBytes: maxBody})
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
