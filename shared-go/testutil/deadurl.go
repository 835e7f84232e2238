package testutil

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

var deadPort atomic.Uint32

// DeadURL returns the URL of a local port nobody listens on: a service that is down.
// It uses the privileged ports 1–9, which the kernel never hands out as ephemeral
// ports, so a parallel test's server cannot take the port over (as it can with a port
// that was listened on and closed). Connecting to it is refused at once.
func DeadURL(t testing.TB) string {
	t.Helper()
	for range 9 {
		p := deadPort.Add(1)%9 + 1
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return "http://" + addr
		}
		_ = c.Close() // something listens there: try the next one
	}
	t.Fatal("no free port among 1-9 to stand for a service that is down")
	return ""
}
