package testutil

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// proxyState is what a Proxy does with traffic.
type proxyState int

const (
	proxyForwarding proxyState = iota // accept and forward
	proxyCut                          // every connection closed, new ones accepted and closed
	proxyBlackholed                   // connections open, no byte forwarded, new ones held
)

// Proxy forwards TCP connections from a loopback listener to a target address, and can cut
// and restore the path to simulate a network partition or a database outage.
//
// Cut is an outage that clients notice at once: every connection is closed and new ones
// are closed as soon as they are accepted. Blackhole is a partition that they do not
// notice: connections stay open but no byte goes through, and new connections are
// accepted but never reach the target, so clients wait until their own timeouts fire.
// Restore heals either. A Proxy is safe for concurrent use; Close (called when the test
// ends) stops it and waits for all of its goroutines.
type Proxy struct {
	t      testing.TB
	target string
	ln     net.Listener
	ctx    context.Context // cancelled by Close, aborts dials to the target
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop, dials and copiers

	mu     sync.Mutex
	closed bool
	state  proxyState
	resume chan struct{} // closed when a Blackhole ends
	links  map[*proxyLink]struct{}
}

// proxyLink is one client connection and, once dialed, its connection to the target.
// Its fields are guarded by Proxy.mu.
type proxyLink struct {
	client net.Conn
	server net.Conn // nil while dialing or held by a Blackhole
	held   bool     // accepted during a Blackhole, dialed by Restore
	dead   bool     // closed; removed from Proxy.links
	done   int      // directions whose source reached EOF and were half-closed
}

// StartProxy listens on 127.0.0.1 and a random port and forwards every connection to
// target ("host:port"). The proxy is closed when t ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("test proxy: listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		t:      t,
		target: target,
		ln:     ln,
		ctx:    ctx,
		cancel: cancel,
		links:  make(map[*proxyLink]struct{}),
	}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's address, "127.0.0.1:<port>".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// URL returns rawURL (such as a postgres:// URL from Database) with its host and port
// replaced by the proxy's; user, path and query are kept. It fails the test if rawURL
// does not parse.
func (p *Proxy) URL(rawURL string) string {
	p.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		p.t.Fatalf("test proxy: parse URL: %v", err)
	}
	u.Host = p.Addr()
	return u.String()
}

// Cut closes every open connection, on both sides, and refuses new ones (each is
// accepted and closed at once) until Restore. It ends a Blackhole. It is idempotent.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.endBlackhole()
	p.state = proxyCut
	for l := range p.links {
		p.kill(l)
	}
}

// Blackhole stops forwarding without closing anything: open connections stay open but
// no byte goes through in either direction, and new connections are accepted but do
// not reach the target, until Restore. It ends a Cut (connections it closed stay
// closed). It is idempotent.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.state == proxyBlackholed {
		return
	}
	p.state = proxyBlackholed
	p.resume = make(chan struct{})
}

// Restore forwards again after a Cut or a Blackhole. After a Blackhole, nothing is
// lost: the connections that stayed open carry on where they stopped and the ones
// accepted meanwhile are connected to the target now, as after a healed partition (a
// client that timed out meanwhile will have closed its connection itself). It is
// idempotent.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.endBlackhole()
	p.state = proxyForwarding
	for l := range p.links {
		if l.held {
			l.held = false
			p.wg.Add(1)
			go p.connect(l)
		}
	}
}

// Close stops listening, closes every connection and waits for the proxy's goroutines
// to end. It is idempotent.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		_ = p.ln.Close()
		p.cancel()
		p.endBlackhole()
		p.state = proxyCut
		for l := range p.links {
			p.kill(l)
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Connections is the number of open connections that are forwarded to the target
// (connections held by a Blackhole count once Restore forwards them).
func (p *Proxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for l := range p.links {
		if l.server != nil {
			n++
		}
	}
	return n
}

// endBlackhole wakes the copiers waiting for a Blackhole to end. p.mu must be held.
func (p *Proxy) endBlackhole() {
	if p.state == proxyBlackholed {
		close(p.resume)
	}
}

// kill closes both sides of l (once) and forgets it. p.mu must be held.
func (p *Proxy) kill(l *proxyLink) {
	if l.dead {
		return
	}
	l.dead = true
	_ = l.client.Close()
	if l.server != nil {
		_ = l.server.Close()
	}
	delete(p.links, l)
}

// serve accepts connections until the listener is closed.
func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // the listener was closed by Close
		}
		p.mu.Lock()
		switch {
		case p.closed || p.state == proxyCut:
			_ = c.Close()
		case p.state == proxyBlackholed:
			p.links[&proxyLink{client: c, held: true}] = struct{}{}
		default:
			l := &proxyLink{client: c}
			p.links[l] = struct{}{}
			p.wg.Add(1)
			go p.connect(l)
		}
		p.mu.Unlock()
	}
}

// connect dials the target for l and starts copying both ways; it closes l if the
// target cannot be reached.
func (p *Proxy) connect(l *proxyLink) {
	defer p.wg.Done()
	var d net.Dialer
	server, err := d.DialContext(p.ctx, "tcp", p.target)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || l.dead {
		if server != nil {
			_ = server.Close()
		}
		p.kill(l)
		return
	}
	l.server = server
	p.wg.Add(2)
	go p.pipe(l, server, l.client)
	go p.pipe(l, l.client, server)
}

// pipe copies src to dst. When src reaches EOF it half-closes dst, so that the other
// direction can still carry a reply; when both directions are done, or on any error,
// it closes l.
func (p *Proxy) pipe(l *proxyLink, dst, src net.Conn) {
	defer p.wg.Done()
	_, err := io.Copy(proxyWriter{p: p, w: dst}, src)
	if err == nil {
		err = dst.(interface{ CloseWrite() error }).CloseWrite()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l.done++
	if err != nil || l.done == 2 {
		p.kill(l)
	}
}

// proxyWriter writes to w except during a Blackhole, which it waits out. While it
// waits, io.Copy stops reading, so bytes pile up in the kernel's buffers as they
// would behind a partition.
type proxyWriter struct {
	p *Proxy
	w io.Writer
}

func (g proxyWriter) Write(b []byte) (int, error) {
	g.p.mu.Lock()
	for g.p.state == proxyBlackholed {
		resume := g.p.resume
		g.p.mu.Unlock()
		<-resume
		g.p.mu.Lock()
	}
	g.p.mu.Unlock()
	// After a Cut or Close, w is closed and the write fails.
	return g.w.Write(b)
}
