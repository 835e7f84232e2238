// Command healthcheck is the container health probe copied into every Pitstop image.
// The images are distroless (no shell, no curl), so docker compose and the Dockerfile's
// HEALTHCHECK run this static binary instead:
//
//	healthcheck            GET http://127.0.0.1:<port>/readyz, <port> taken from HTTP_ADDR (":5100")
//	healthcheck 5100       GET http://127.0.0.1:5100/readyz
//	healthcheck <url>      GET <url>
//
// It exits 0 when the answer is 2xx within three seconds and 1 otherwise, printing why.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// timeout bounds the whole probe; compose's own timeout is a little longer.
const timeout = 3 * time.Second

func main() { os.Exit(run(os.Args[1:], os.Getenv, os.Stdout)) }

// run probes the URL chosen from args and the environment and returns the exit code.
func run(args []string, getenv func(string) string, out io.Writer) int {
	url, err := target(args, getenv)
	if err != nil {
		fmt.Fprintln(out, "healthcheck:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := probe(ctx, url); err != nil {
		fmt.Fprintln(out, "unhealthy:", err)
		return 1
	}
	fmt.Fprintln(out, "healthy:", url)
	return 0
}

// target is the URL to probe: an explicit URL, a port, or the port of HTTP_ADDR.
func target(args []string, getenv func(string) string) (string, error) {
	if len(args) > 1 {
		return "", errors.New("usage: healthcheck [port|url]")
	}
	if len(args) == 1 {
		a := args[0]
		if strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") {
			return a, nil
		}
		if _, err := strconv.ParseUint(a, 10, 16); err != nil {
			return "", fmt.Errorf("%q is neither a port nor an http URL", a)
		}
		return "http://127.0.0.1:" + a + "/readyz", nil
	}
	addr := getenv("HTTP_ADDR")
	if addr == "" {
		return "", errors.New("HTTP_ADDR is not set and no port or URL was given")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", fmt.Errorf("HTTP_ADDR %q has no port: %v", addr, err)
	}
	return "http://127.0.0.1:" + port + "/readyz", nil
}

// probe fails unless url answers 2xx.
func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
