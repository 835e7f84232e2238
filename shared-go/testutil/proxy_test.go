package testutil_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/testutil"
)

// startTCPServer serves every connection with handle (which must close it) on a
// loopback port until t ends, and returns the address.
func startTCPServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() { handle(c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echo writes back whatever it reads.
func echo(c net.Conn) {
	defer c.Close()
	_, _ = io.Copy(c, c)
}

// shout reads until EOF, then writes back what it read in upper case: it needs the
// client's half-close to get through, and its reply to get back after it.
func shout(c net.Conn) {
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		return
	}
	_, _ = c.Write(bytes.ToUpper(b))
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip sends msg on c and wants it echoed back.
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	expectRead(t, c, msg)
}

// expectRead wants to read exactly want from c within 10s.
func expectRead(t *testing.T, c net.Conn, want string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read %q: %v", want, err)
	}
	if string(got) != want {
		t.Fatalf("read %q, want %q", got, want)
	}
}

// expectSilence wants nothing to arrive on c for 200ms.
func expectSilence(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want nothing before the deadline", n, err)
	}
}

// expectClosed wants c to be closed by the other end within 10s.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want the connection closed", n, err)
	}
}

func TestProxyAddressAndURL(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, "127.0.0.1:5432")
	if p.Port() == 0 || p.Addr() != "127.0.0.1:"+strconv.Itoa(p.Port()) {
		t.Fatalf("Addr %s, Port %d", p.Addr(), p.Port())
	}
	got := p.URL("postgres://postgres:secret@db.example:5432/pitstop_test_x?sslmode=disable&x=1")
	want := "postgres://postgres:secret@" + p.Addr() + "/pitstop_test_x?sslmode=disable&x=1"
	if got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
}

func TestProxyForwardsWithHalfClose(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, startTCPServer(t, shout))
	c := dial(t, p.Addr())
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "HELLO" {
		t.Fatalf("reply %q, %v; want HELLO then EOF", b, err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return p.Connections() == 0 },
		"the proxy still counts %d connections after both sides closed", p.Connections())
}

func TestProxyCountsConnections(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, startTCPServer(t, echo))
	a, b := dial(t, p.Addr()), dial(t, p.Addr())
	roundTrip(t, a, "a")
	roundTrip(t, b, "b")
	if n := p.Connections(); n != 2 {
		t.Fatalf("Connections = %d, want 2", n)
	}
	_ = a.Close()
	testutil.Eventually(t, 10*time.Second, func() bool { return p.Connections() == 1 },
		"Connections should drop to 1 when a client closes")
	roundTrip(t, b, "still there")
}

func TestProxyClosesConnectionsWhenTargetIsDown(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, strings.TrimPrefix(testutil.DeadURL(t), "http://"))
	expectClosed(t, dial(t, p.Addr()))
	if n := p.Connections(); n != 0 {
		t.Fatalf("Connections = %d, want 0", n)
	}
}

func TestProxyCutAndRestore(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, startTCPServer(t, echo))
	c := dial(t, p.Addr())
	roundTrip(t, c, "before")

	p.Cut()
	p.Cut() // idempotent
	if n := p.Connections(); n != 0 {
		t.Fatalf("Connections = %d after Cut, want 0", n)
	}
	expectClosed(t, c)
	expectClosed(t, dial(t, p.Addr()))

	p.Restore()
	p.Restore() // idempotent
	roundTrip(t, dial(t, p.Addr()), "after")
}

func TestProxyBlackholeAndRestore(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, startTCPServer(t, echo))
	open := dial(t, p.Addr())
	roundTrip(t, open, "before")

	p.Blackhole()
	p.Blackhole() // idempotent
	if _, err := open.Write([]byte("lost?")); err != nil {
		t.Fatal(err)
	}
	expectSilence(t, open)
	held := dial(t, p.Addr())
	if _, err := held.Write([]byte("waiting")); err != nil {
		t.Fatal(err)
	}
	expectSilence(t, held)
	if n := p.Connections(); n != 1 {
		t.Fatalf("Connections = %d during Blackhole, want 1 (the held one is not forwarded)", n)
	}

	p.Restore()
	p.Restore() // idempotent
	expectRead(t, open, "lost?")
	expectRead(t, held, "waiting")
	testutil.Eventually(t, 10*time.Second, func() bool { return p.Connections() == 2 },
		"the held connection should be forwarded after Restore")
	roundTrip(t, dial(t, p.Addr()), "new")
}

func TestProxyCutEndsBlackhole(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, startTCPServer(t, echo))
	open := dial(t, p.Addr())
	roundTrip(t, open, "before")
	p.Blackhole()
	if _, err := open.Write([]byte("stuck")); err != nil {
		t.Fatal(err)
	}
	held := dial(t, p.Addr())
	expectSilence(t, held)

	p.Cut()
	expectClosed(t, open)
	expectClosed(t, held)
	p.Restore()
	roundTrip(t, dial(t, p.Addr()), "after")
}

func TestProxyClose(t *testing.T) {
	t.Parallel()
	p := testutil.StartProxy(t, startTCPServer(t, echo))
	c := dial(t, p.Addr())
	roundTrip(t, c, "before")
	addr := p.Addr()

	p.Close()
	p.Close() // idempotent, and again at cleanup
	expectClosed(t, c)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("%s still accepts connections after Close", addr)
	}
	p.Cut()
	p.Blackhole()
	p.Restore()
	if n := p.Connections(); n != 0 {
		t.Fatalf("Connections = %d after Close, want 0", n)
	}
}

// TestProxyLeavesNoGoroutines is not parallel: it runs while the parallel tests wait,
// so every proxy goroutine alive is one of its own.
func TestProxyLeavesNoGoroutines(t *testing.T) {
	p := testutil.StartProxy(t, startTCPServer(t, echo))
	forwarded := dial(t, p.Addr())
	roundTrip(t, forwarded, "x")
	halfClosed := dial(t, p.Addr())
	roundTrip(t, halfClosed, "y")
	if err := halfClosed.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, halfClosed)
	p.Blackhole()
	if _, err := forwarded.Write([]byte("blocked")); err != nil { // a copier waits
		t.Fatal(err)
	}
	held := dial(t, p.Addr())
	expectSilence(t, held)

	p.Close()
	var stacks string
	testutil.Eventually(t, 10*time.Second, func() bool {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		return !strings.Contains(stacks, "shared-go/testutil.(*Proxy)")
	}, "proxy goroutines left after Close:\n%s", lazyString(func() string { return stacks }))
}

// lazyString formats as what it returns when it is formatted.
type lazyString func() string

func (f lazyString) String() string { return f() }

// pgTarget is the host:port of the Postgres server behind dbURL.
func pgTarget(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// pgConnect connects to dbURL and closes the connection when t ends.
func pgConnect(ctx context.Context, t *testing.T, dbURL string) (*pgx.Conn, error) {
	t.Helper()
	c, err := pgx.Connect(ctx, dbURL)
	if err == nil {
		t.Cleanup(func() { _ = c.Close(context.Background()) })
	}
	return c, err
}

func selectOne(ctx context.Context, c *pgx.Conn) error {
	var n int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
		return err
	}
	if n != 1 {
		return errors.New("SELECT 1 returned " + strconv.Itoa(n))
	}
	return nil
}

func TestProxyPostgresCutAndRestore(t *testing.T) {
	t.Parallel()
	db := testutil.Database(t)
	p := testutil.StartProxy(t, pgTarget(t, db))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgConnect(ctx, t, p.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	if err := selectOne(ctx, conn); err != nil {
		t.Fatal(err)
	}

	p.Cut()
	// The query and the connect fail because the connection is closed, well before
	// the context's 30s.
	if err := selectOne(ctx, conn); err == nil || ctx.Err() != nil {
		t.Fatalf("query after Cut: %v (context: %v); want a connection error", err, ctx.Err())
	}
	if _, err := pgConnect(ctx, t, p.URL(db)); err == nil || ctx.Err() != nil {
		t.Fatalf("connect after Cut: %v (context: %v); want a connection error", err, ctx.Err())
	}

	p.Restore()
	conn, err = pgConnect(ctx, t, p.URL(db))
	if err != nil {
		t.Fatalf("connect after Restore: %v", err)
	}
	if err := selectOne(ctx, conn); err != nil {
		t.Fatalf("query after Restore: %v", err)
	}
}

func TestProxyPostgresBlackholeAndRestore(t *testing.T) {
	t.Parallel()
	db := testutil.Database(t)
	p := testutil.StartProxy(t, pgTarget(t, db))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgConnect(ctx, t, p.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	if err := selectOne(ctx, conn); err != nil {
		t.Fatal(err)
	}

	p.Blackhole()
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if err := selectOne(short, conn); err == nil || short.Err() == nil {
		t.Fatalf("query during Blackhole: %v (context: %v); want the 300ms timeout", err, short.Err())
	}
	if _, err := pgConnect(short, t, p.URL(db)); err == nil {
		t.Fatal("connect during Blackhole succeeded")
	}
	if n := p.Connections(); n != 1 {
		t.Fatalf("Connections = %d during Blackhole, want 1", n)
	}

	p.Restore()
	conn, err = pgConnect(ctx, t, p.URL(db))
	if err != nil {
		t.Fatalf("connect after Restore: %v", err)
	}
	if err := selectOne(ctx, conn); err != nil {
		t.Fatalf("query after Restore: %v", err)
	}
}
