package webapp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp"
)

// stream is an open server-sent-events connection.
type stream struct {
	body  io.ReadCloser
	lines *bufio.Scanner
}

func openStream(t *testing.T, ctx context.Context, e *env, url string) *stream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.authorize(req)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	s := &stream{body: resp.Body, lines: bufio.NewScanner(resp.Body)}
	if got := s.next(t); !strings.Contains(got, ": subscribed") {
		t.Fatalf("stream opened with %q", got)
	}
	return s
}

// next reads one event (up to its blank line), skipping keep-alive comments.
func (s *stream) next(t *testing.T) string {
	t.Helper()
	var ev []string
	for s.lines.Scan() {
		line := s.lines.Text()
		if line == "" {
			if len(ev) > 0 && ev[len(ev)-1] != ": ping" {
				return strings.Join(ev, "\n")
			}
			ev = nil
			continue
		}
		ev = append(ev, line)
	}
	if err := s.lines.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return "EOF"
}

func publish(t *testing.T, js jetstream.JetStream, p events.Payload) {
	t.Helper()
	env, err := events.New(workshopevents.Source, p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), env.Msg()); err != nil {
		t.Fatal(err)
	}
}

func TestDayViewStreamsChangesOfItsDayFromJetStream(t *testing.T) {
	t.Parallel()
	ns := testutil.StartNATS(t)
	_, js := ns.Connect(t)
	if err := messaging.EnsureStreams(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	e := start(t, func(o *webapp.Options) { o.JetStream = js })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, w := range e.app.Workers() {
		go func() { done <- w(ctx) }()
	}
	t.Cleanup(cancel)
	select {
	case <-e.app.LiveReady():
	case <-time.After(10 * time.Second):
		t.Fatal("live feed did not start")
	}

	e.get("/workshop/"+today).expect(t, http.StatusOK, `data-events="/workshop/`+today+`/events"`,
		`data-fragment="/workshop/`+today+`/joblist"`)
	todays := openStream(t, context.Background(), e, e.srv.URL+"/workshop/"+today+"/events")
	tomorrows := openStream(t, context.Background(), e, e.srv.URL+"/workshop/2030-05-07/events")

	publish(t, js, workshopevents.MaintenanceJobPlanned{PlanningDate: today, JobID: "j1"})
	if got := todays.next(t); got != "event: planning\ndata: {\"date\":\""+today+"\",\"type\":\"MaintenanceJobPlanned\"}" {
		t.Fatalf("today's stream got %q", got)
	}
	publish(t, js, workshopevents.MaintenanceJobFinished{PlanningDate: "2030-05-07", JobID: "j2"})
	// Tomorrow's first event is its own: today's change was not sent to it.
	if got := tomorrows.next(t); !strings.Contains(got, `"date":"2030-05-07","type":"MaintenanceJobFinished"`) {
		t.Fatalf("tomorrow's stream got %q", got)
	}
	publish(t, js, workshopevents.MaintenanceJobFinished{PlanningDate: today, JobID: "j1"})
	if got := todays.next(t); !strings.Contains(got, `"type":"MaintenanceJobFinished"`) {
		t.Fatalf("today's stream got %q", got)
	}

	// Stopping the workers (shutdown) ends the open streams, so the server can stop.
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("worker: %v", err)
		}
	}
	if got := todays.next(t); got != "EOF" {
		t.Fatalf("after shutdown: %q", got)
	}
}

func TestLiveFeedWaitsForJetStream(t *testing.T) {
	t.Parallel()
	ns := testutil.StartNATS(t)
	_, js := ns.Connect(t)
	// No stream yet: the feed retries until it exists.
	e := start(t, func(o *webapp.Options) { o.JetStream = js })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	feed := e.app.Workers()[1]
	done := make(chan error, 1)
	go func() { done <- feed(ctx) }()
	select {
	case <-e.app.LiveReady():
		t.Fatal("feed ready without a stream")
	default:
	}
	if err := messaging.EnsureStreams(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.app.LiveReady():
	case <-time.After(15 * time.Second):
		t.Fatal("feed did not start once the stream existed")
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func TestEventStreamOutlivesTheServersWriteTimeout(t *testing.T) {
	t.Parallel()
	ns := testutil.StartNATS(t)
	_, js := ns.Connect(t)
	if err := messaging.EnsureStreams(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	e := start(t, func(o *webapp.Options) { o.JetStream = js })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, w := range e.app.Workers() {
		go func() { _ = w(ctx) }()
	}
	<-e.app.LiveReady()
	// A server with a write timeout, as httpx.Serve has (30s there, for pages).
	const writeTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.app.Handler(64 << 10), WriteTimeout: writeTimeout}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	s := openStream(t, context.Background(), e, "http://"+ln.Addr().String()+"/workshop/"+today+"/events")
	// The passage of time is the behaviour under test: the stream must still deliver
	// after the write deadline a page would have had.
	<-time.After(4 * writeTimeout)
	publish(t, js, workshopevents.MaintenanceJobPlanned{PlanningDate: today, JobID: "j1"})
	if got := s.next(t); !strings.Contains(got, "MaintenanceJobPlanned") {
		t.Fatalf("after the write timeout the stream gave %q", got)
	}
}
