// Package gateway is Pitstop's API gateway: a reverse proxy per service over a
// round-robin balancer of that service's instances, which skips instances known to be
// down. An instance is marked down passively, when a request to it fails at the
// transport level, and actively, by a health checker that polls each instance's
// /readyz; it comes back when a check succeeds or its passive mark expires.
//
// An Upstream is also an http.RoundTripper, so the web pages call the APIs through
// the very same balancer and health state as the proxied /api requests.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrNoHealthyInstance is returned (wrapped) by Upstream.RoundTrip when the service has
// no instance believed to be up, including when it has no instance configured.
var ErrNoHealthyInstance = errors.New("no healthy instance")

// maxRetryBody bounds the request body kept in memory so that a failed request can be
// sent again to the next instance. Larger bodies are sent once.
const maxRetryBody = 1 << 20

// Instance is one base URL of a service, with its health.
type Instance struct {
	base *url.URL
	// downUntil is the Unix time in nanoseconds before which the instance is skipped;
	// 0 means up.
	downUntil atomic.Int64
	// lastError is the reason of the latest down mark, for the status page.
	lastError atomic.Pointer[string]
}

// URL is the instance's base URL.
func (i *Instance) URL() string { return i.base.String() }

func (i *Instance) up(now time.Time) bool { return now.UnixNano() >= i.downUntil.Load() }

// markDown skips the instance until until; it reports whether it was up before.
func (i *Instance) markDown(now, until time.Time, reason string) (wasUp bool) {
	i.lastError.Store(&reason)
	return now.UnixNano() >= i.downUntil.Swap(until.UnixNano())
}

// markUp puts the instance back in rotation; it reports whether it was down before.
func (i *Instance) markUp(now time.Time) (wasDown bool) {
	return now.UnixNano() < i.downUntil.Swap(0)
}

// InstanceStatus is an instance's health as the balancer sees it.
type InstanceStatus struct {
	URL       string
	Up        bool
	LastError string
}

// Upstream balances the requests to one service over its instances, round-robin,
// skipping instances marked down. It is safe for concurrent use.
type Upstream struct {
	name      string
	instances []*Instance
	next      atomic.Uint64
	transport http.RoundTripper
	cooldown  time.Duration
	metrics   *metrics
	log       *slog.Logger
	now       func() time.Time
}

func newUpstream(name string, baseURLs []string, transport http.RoundTripper, cooldown time.Duration, m *metrics,
	log *slog.Logger) (*Upstream, error) {
	u := &Upstream{name: name, transport: transport, cooldown: cooldown, metrics: m, log: log, now: time.Now}
	for _, s := range baseURLs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		b, err := url.Parse(s)
		if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
			return nil, fmt.Errorf("%s: instance %q is not an http(s) base URL", name, s)
		}
		b.Path = strings.TrimSuffix(b.Path, "/")
		b.RawPath = ""
		u.instances = append(u.instances, &Instance{base: b})
		m.setUp(name, b.String(), true)
	}
	return u, nil
}

// Name is the service's name.
func (u *Upstream) Name() string { return u.name }

// Status reports each instance's health, in configuration order.
func (u *Upstream) Status() []InstanceStatus {
	now := u.now()
	out := make([]InstanceStatus, 0, len(u.instances))
	for _, in := range u.instances {
		st := InstanceStatus{URL: in.URL(), Up: in.up(now)}
		if !st.Up {
			if e := in.lastError.Load(); e != nil {
				st.LastError = *e
			}
		}
		out = append(out, st)
	}
	return out
}

// pick returns the next instance, round-robin over the instances that are up and not
// in tried, or nil when there is none. Skipping a down instance does not shift its
// share onto its neighbour: the live instances share the load evenly.
func (u *Upstream) pick(tried map[*Instance]bool) *Instance {
	now := u.now()
	candidates := make([]*Instance, 0, len(u.instances))
	for _, in := range u.instances {
		if !tried[in] && in.up(now) {
			candidates = append(candidates, in)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	return candidates[(u.next.Add(1)-1)%uint64(len(candidates))]
}

// RoundTrip sends req to an instance that is up, whatever req's scheme and host (the
// clients use "http://<service>"). When the instance cannot be reached it is marked
// down and, if the request is idempotent or provably never reached it (the connection
// was refused), the request is sent to the next instance. With no instance up it fails
// at once with an error wrapping ErrNoHealthyInstance.
func (u *Upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := u.prepareRetry(req); err != nil {
		return nil, err
	}
	tried := map[*Instance]bool{}
	var lastErr error
	for {
		in := u.pick(tried)
		if in == nil {
			u.metrics.unavailable.WithLabelValues(u.name).Inc()
			if lastErr != nil {
				return nil, fmt.Errorf("%s: %w (last error: %w)", u.name, ErrNoHealthyInstance, lastErr)
			}
			return nil, fmt.Errorf("%s: %w", u.name, ErrNoHealthyInstance)
		}
		tried[in] = true
		out, err := u.outgoing(req, in, len(tried) > 1)
		if err != nil {
			return nil, err
		}
		resp, err := u.transport.RoundTrip(out)
		if err == nil {
			u.metrics.requests.WithLabelValues(u.name, in.URL(), "ok").Inc()
			return resp, nil
		}
		if req.Context().Err() != nil { // the caller gave up; the instance is not to blame
			return nil, err
		}
		u.metrics.requests.WithLabelValues(u.name, in.URL(), "error").Inc()
		u.down(in, u.cooldown, err.Error())
		lastErr = err
		if !retryable(req, err) {
			return nil, fmt.Errorf("%s %s: %w", u.name, in.URL(), err)
		}
	}
}

// prepareRetry makes req's body re-readable when a retry could need it.
func (u *Upstream) prepareRetry(req *http.Request) error {
	if len(u.instances) < 2 || req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return nil
	}
	if req.ContentLength < 0 || req.ContentLength > maxRetryBody {
		return nil // unknown or large: sent once, not retried
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxRetryBody+1))
	_ = req.Body.Close()
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return nil
}

// outgoing is req addressed to in; again is true for a retry, which needs a fresh body.
func (u *Upstream) outgoing(req *http.Request, in *Instance, again bool) (*http.Request, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = in.base.Scheme
	out.URL.Host = in.base.Host
	out.Host = ""
	if p := in.base.Path; p != "" {
		out.URL.Path = p + req.URL.Path
		if req.URL.RawPath != "" {
			out.URL.RawPath = in.base.EscapedPath() + req.URL.RawPath
		}
	}
	out.Body = req.Body
	if again && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errors.New("request body cannot be sent again")
		}
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = b
	}
	return out, nil
}

// retryable reports whether req may be sent to another instance after err: idempotent
// methods always, other methods only when the connection was never established.
func retryable(req *http.Request, err error) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return neverSent(err)
}

// neverSent reports whether err shows the request cannot have reached a server.
func neverSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// down takes in out of rotation for d, logging the transition.
func (u *Upstream) down(in *Instance, d time.Duration, reason string) {
	now := u.now()
	if in.markDown(now, now.Add(d), reason) {
		u.log.Warn("gateway: instance down, skipping it", "upstream", u.name, "instance", in.URL(), "reason", reason)
	}
	u.metrics.setUp(u.name, in.URL(), false)
}

// check probes every instance's /readyz once, concurrently, and marks it up or down.
func (u *Upstream) check(ctx context.Context, client *http.Client, interval time.Duration) {
	var wg sync.WaitGroup
	for _, in := range u.instances {
		wg.Go(func() {
			err := probe(ctx, client, in.URL()+"/readyz")
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				// Down until a later check succeeds; the mark outlives a missed check.
				u.down(in, 3*interval, "health check: "+err.Error())
				return
			}
			if in.markUp(u.now()) {
				u.log.Info("gateway: instance up again", "upstream", u.name, "instance", in.URL())
			}
			u.metrics.setUp(u.name, in.URL(), true)
		})
	}
	wg.Wait()
}

func probe(ctx context.Context, client *http.Client, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz answered %d", resp.StatusCode)
	}
	return nil
}
