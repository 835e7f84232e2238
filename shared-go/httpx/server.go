// Package httpx is Pitstop's HTTP plumbing on chi: a router with request ids, body
// limits, panic recovery, structured access logs and RED metrics per route, the
// /healthz, /readyz and /metrics endpoints, JSON helpers, and a server with timeouts
// and graceful shutdown.
package httpx

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pitstop/pitstop/shared-go/problem"
)

// Config holds the HTTP server settings; see config.HTTP for the environment variables.
type Config struct {
	Addr            string
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	MaxBodyBytes    int64
}

// DefaultConfig returns the documented defaults for addr.
func DefaultConfig(addr string) Config {
	return Config{Addr: addr, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, ShutdownTimeout: 10 * time.Second, MaxBodyBytes: 64 << 10}
}

// Check is one readiness probe; /readyz is 200 only when every check passes.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// RouterOptions configures NewRouter.
type RouterOptions struct {
	Logger       *slog.Logger
	Registry     *prometheus.Registry
	Checks       []Check
	MaxBodyBytes int64
	// MetricsToken, when set, is the bearer token /metrics requires (401 otherwise).
	MetricsToken string
}

// NewRouter returns a chi router with Pitstop's middleware stack and the operational
// endpoints mounted. Mount the API routes on the result.
func NewRouter(o RouterOptions) chi.Router {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	m := newREDMetrics(o.Registry)
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			id := middleware.GetReqID(req.Context())
			w.Header().Set("X-Request-Id", id)
			next.ServeHTTP(w, req.WithContext(problem.WithRequestID(req.Context(), id)))
		})
	})
	r.Use(observe(o.Logger, m))
	r.Use(recoverer(o.Logger))
	r.Use(limitBody(o.MaxBodyBytes))
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		problem.Status(w, req, http.StatusNotFound, "no such resource")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		problem.Status(w, req, http.StatusMethodNotAllowed, "method not allowed on this resource")
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	checks := o.Checks
	r.Get("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		res := map[string]string{}
		ok := true
		for _, c := range checks {
			if err := c.Check(ctx); err != nil {
				ok = false
				res[c.Name] = err.Error()
			} else {
				res[c.Name] = "ok"
			}
		}
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		WriteJSON(w, status, map[string]any{"ready": ok, "checks": res})
	})
	if o.Registry != nil {
		r.Handle("/metrics", metricsAuth(o.MetricsToken, promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry})))
	}
	return r
}

type redMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newREDMetrics(reg *prometheus.Registry) *redMetrics {
	m := &redMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pitstop_http_requests_total", Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pitstop_http_request_duration_seconds", Help: "HTTP request latency by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pitstop_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inflight)
	}
	return m
}

func observe(log *slog.Logger, m *redMetrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			m.inflight.Inc()
			defer m.inflight.Dec()
			next.ServeHTTP(ww, r)
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			m.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(r.Method, route).Observe(d.Seconds())
			if route == "/healthz" || route == "/readyz" || route == "/metrics" {
				return
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(r.Context(), level, "http request",
				slog.String("request_id", middleware.GetReqID(r.Context())),
				slog.String("method", r.Method), slog.String("route", route),
				slog.String("path", r.URL.Path), slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()), slog.Duration("duration", d))
		})
	}
}

func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(r.Context(), "panic serving request", "panic", fmt.Sprint(v),
						"request_id", middleware.GetReqID(r.Context()))
					problem.Status(w, r, http.StatusInternalServerError, "internal error")
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				problem.Status(w, r, http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body exceeds %d bytes", n))
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Serve runs handler on cfg.Addr until ctx is cancelled, then shuts down gracefully
// within cfg.ShutdownTimeout. It returns nil after a clean shutdown.
func Serve(ctx context.Context, cfg Config, handler http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	return ServeListener(ctx, cfg, ln, handler, log)
}

// ServeListener is Serve on an existing listener (tests and the all-in-one use free ports).
func ServeListener(ctx context.Context, cfg Config, ln net.Listener, handler http.Handler, log *slog.Logger) error {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	srv := &http.Server{
		Handler:           handler,
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("http server listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http serve: %w", err)
	}
	return nil
}

// metricsAuth lets a request through to next only with "Authorization: Bearer <token>"
// (compared in constant time) when token is set; without a token /metrics is open.
func metricsAuth(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if subtle.ConstantTimeCompare([]byte(req.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pitstop-metrics"`)
			problem.Status(w, req, http.StatusUnauthorized, "/metrics needs the metrics bearer token")
			return
		}
		next.ServeHTTP(w, req)
	})
}
