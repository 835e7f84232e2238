package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/serviceapis/openapi"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// Service names, as used in Config.Upstreams.
const (
	Customers     = "customers"
	Vehicles      = "vehicles"
	Workshop      = "workshop"
	Notifications = "notifications"
	Invoicing     = "invoicing"
	Timekeeper    = "timekeeper"
	Auditlog      = "auditlog"
)

// DefaultRoutes maps each API path prefix to the service that serves it.
func DefaultRoutes() map[string]string {
	return map[string]string{
		"/api/customers":        Customers,
		"/api/vehicles":         Vehicles,
		"/api/workshopplanning": Workshop,
		"/api/refdata":          Workshop,
		"/api/invoices":         Invoicing,
		"/api/reminders":        Notifications,
		"/api/auditlog":         Auditlog,
		"/api/time":             Timekeeper,
	}
}

// Config configures New.
type Config struct {
	// Upstreams are each service's instance base URLs (service name -> URLs).
	Upstreams map[string][]string
	// Routes maps path prefixes to service names (default DefaultRoutes()).
	Routes map[string]string
	// Transport sends the requests (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// HealthInterval is the period of the /readyz probes (default 2s).
	HealthInterval time.Duration
	// Cooldown is how long an instance that failed a request is skipped unless a
	// health check finds it ready earlier (default 5s).
	Cooldown time.Duration
	Log      *slog.Logger
	Registry *prometheus.Registry
	// Verifier checks the bearer token of every proxied request (401 without a valid
	// one); nil lets every request through (the services still check). The roles each
	// request needs are those of its operation's x-pitstop-roles in the target
	// service's OpenAPI document (403 otherwise).
	Verifier *auth.Verifier
}

// Gateway proxies the /api routes to the services. It is safe for concurrent use.
type Gateway struct {
	upstreams map[string]*Upstream
	routes    map[string]string
	interval  time.Duration
	probe     *http.Client
	log       *slog.Logger
	verifier  *auth.Verifier
	policies  map[string]auth.Policy
}

// New builds the gateway. Every service named by a route gets an Upstream, with no
// instance if none is configured (its requests are then answered 503).
func New(c Config) (*Gateway, error) {
	if c.Routes == nil {
		c.Routes = DefaultRoutes()
	}
	if c.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		t.ResponseHeaderTimeout = 30 * time.Second
		c.Transport = t
	}
	if c.HealthInterval <= 0 {
		c.HealthInterval = 2 * time.Second
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 5 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	m := newMetrics(c.Registry)
	g := &Gateway{upstreams: map[string]*Upstream{}, routes: c.Routes, interval: c.HealthInterval, log: c.Log,
		probe:    &http.Client{Transport: c.Transport, Timeout: c.HealthInterval},
		verifier: c.Verifier, policies: map[string]auth.Policy{}}
	names := map[string]bool{}
	for _, s := range c.Routes {
		names[s] = true
	}
	for s := range c.Upstreams {
		names[s] = true
	}
	for name := range names {
		u, err := newUpstream(name, c.Upstreams[name], c.Transport, c.Cooldown, m, c.Log)
		if err != nil {
			return nil, err
		}
		g.upstreams[name] = u
		// A service without a document gets the empty policy: administrators only.
		if g.policies[name], err = auth.PolicyFromOpenAPI(openapi.Spec(name)); err != nil {
			return nil, fmt.Errorf("policy of %s: %w", name, err)
		}
	}
	return g, nil
}

// Upstream returns the named service's balancer; it is nil for a service the gateway
// does not know.
func (g *Gateway) Upstream(name string) *Upstream { return g.upstreams[name] }

// Services lists the known services, sorted by name.
func (g *Gateway) Services() []*Upstream {
	out := make([]*Upstream, 0, len(g.upstreams))
	for _, u := range g.upstreams {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// Routes mounts a reverse proxy on every route prefix (the prefix itself and
// everything below it), behind the token and role check when there is a Verifier.
// The request goes on with its Authorization header (the service checks it again),
// without the browser's cookies.
func (g *Gateway) Routes(r chi.Router) {
	prefixes := make([]string, 0, len(g.routes))
	for p := range g.routes {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, p := range prefixes {
		var h http.Handler = g.proxy(g.upstreams[g.routes[p]])
		if g.verifier != nil {
			h = auth.Middleware(g.verifier, g.policies[g.routes[p]])(h)
		}
		r.Handle(p, h)
		r.Handle(p+"/*", h)
	}
}

// proxy is the reverse proxy to u.
func (g *Gateway) proxy(u *Upstream) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetXForwarded()
			pr.Out.Header.Del("Cookie") // the web app's session is none of the services' business
			// The upstream's own request id middleware adopts ours: one id end to end.
			if id := middleware.GetReqID(pr.In.Context()); id != "" {
				pr.Out.Header.Set(middleware.RequestIDHeader, id)
			}
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", u.name // replaced by the balancer
		},
		Transport: u,
		ModifyResponse: func(resp *http.Response) error {
			// Our router already set the (same) request id.
			resp.Header.Del(middleware.RequestIDHeader)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			switch {
			case r.Context().Err() != nil:
				w.WriteHeader(499) // the client went away; nobody reads this
			case errors.Is(err, ErrNoHealthyInstance):
				w.Header().Set("Retry-After", "2")
				problem.Write(w, r, problem.Problem{Type: "https://pitstop.example/problems/service-unavailable",
					Title: "Service unavailable", Status: http.StatusServiceUnavailable,
					Detail: fmt.Sprintf("The %s service is offline; try again soon.", u.name)})
			default:
				g.log.WarnContext(r.Context(), "gateway: upstream failed", "upstream", u.name, "err", err,
					"request_id", middleware.GetReqID(r.Context()))
				problem.Write(w, r, problem.Problem{Type: "https://pitstop.example/problems/bad-gateway",
					Title: "Bad gateway", Status: http.StatusBadGateway,
					Detail: fmt.Sprintf("The %s service did not answer.", u.name)})
			}
		},
		ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
}

// CheckNow probes every instance of every service once.
func (g *Gateway) CheckNow(ctx context.Context) {
	var wg sync.WaitGroup
	for _, u := range g.upstreams {
		wg.Go(func() { u.check(ctx, g.probe, g.interval) })
	}
	wg.Wait()
}

// RunHealthChecks probes every instance's /readyz each HealthInterval until ctx is
// cancelled; it returns nil then.
func (g *Gateway) RunHealthChecks(ctx context.Context) error {
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		g.CheckNow(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
