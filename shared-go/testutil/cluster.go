package testutil

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSCluster is an in-process JetStream cluster of several servers on loopback ports,
// each with its own file storage, whose nodes a test can kill and restart (same ports,
// same storage) to simulate a node crash.
type NATSCluster struct {
	t     testing.TB
	Nodes []*NATSServer
}

// StartNATSCluster starts an n-node JetStream cluster (routes between every pair of
// nodes, unique server names, storage in t.TempDir()) and waits until it has a
// JetStream meta leader that every node follows. It is shut down when t ends.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	// The route ports are reserved up front because every node's configuration names
	// all the others' routes (also on a restart).
	clusterPorts := freePorts(t, n)
	name := "pitstop-test-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()))
	if len(name) > 64 {
		name = name[:64]
	}
	c := &NATSCluster{t: t}
	for i := range n {
		var routes []*url.URL
		for j, p := range clusterPorts {
			if j != i {
				routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
			}
		}
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d-%s", i, name),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: clusterPorts[i]},
			Routes:     routes,
		}
		node := &NATSServer{t: t, opts: opts}
		node.start()
		node.opts.Port = portOf(node.Srv.ClientURL())
		t.Cleanup(node.Shutdown)
		c.Nodes = append(c.Nodes, node)
	}
	c.WaitForMetaLeader()
	return c
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// WaitForMetaLeader waits until one running node is the JetStream meta leader and
// every running node is current with it.
func (c *NATSCluster) WaitForMetaLeader() {
	c.t.Helper()
	Eventually(c.t, 30*time.Second, func() bool {
		leaders := 0
		for _, n := range c.running() {
			if !n.Srv.JetStreamIsCurrent() {
				return false
			}
			if n.Srv.JetStreamIsLeader() {
				leaders++
			}
		}
		return leaders == 1
	}, "JetStream meta leader")
}

func (c *NATSCluster) running() []*NATSServer {
	var out []*NATSServer
	for _, n := range c.Nodes {
		if n.Srv != nil && n.Srv.Running() {
			out = append(out, n)
		}
	}
	return out
}

// URLs is the comma-separated list of every node's client URL (a NATS_URL).
func (c *NATSCluster) URLs() string {
	var us []string
	for _, n := range c.Nodes {
		us = append(us, n.URL())
	}
	return strings.Join(us, ",")
}

// StreamLeader returns the index of the running node that leads stream (of the
// global account), or -1 while it has none.
func (c *NATSCluster) StreamLeader(stream string) int {
	for i, n := range c.Nodes {
		if n.Srv != nil && n.Srv.Running() && n.Srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// WaitForStreamLeader waits until a running node leads stream and returns its index.
func (c *NATSCluster) WaitForStreamLeader(stream string) int {
	c.t.Helper()
	leader := -1
	Eventually(c.t, 30*time.Second, func() bool { leader = c.StreamLeader(stream); return leader >= 0 }, "leader of stream %s", stream)
	return leader
}

// Kill shuts node i down (its storage stays, for Restart).
func (c *NATSCluster) Kill(i int) { c.Nodes[i].Shutdown() }

// Restart starts node i again on its ports and storage.
func (c *NATSCluster) Restart(i int) {
	c.t.Helper()
	c.Nodes[i].start()
}

// Connect opens a client connection to every node's URL (it fails over between them
// and reconnects forever), closed when t ends.
func (c *NATSCluster) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return connectNATS(t, c.URLs())
}
