package mail_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "mailtest"

// database returns a pool on a fresh database whose mail outbox is migrated.
func database(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	if err := mail.Migrate(context.Background(), pool, schema); err != nil {
		t.Fatal(err)
	}
	return pool
}

// message is a valid message with both bodies.
func message(id string) mail.Message {
	return mail.Message{
		ID:      id,
		From:    "Pitstop <noreply@pitstop.example>",
		To:      []string{"customer@example.com", "Other Person <other@example.com>"},
		Subject: "Vehicle maintenance reminder " + id,
		Text:    "Hello,\nyour car is due on 2024-05-01 at 08:00.\n",
		HTML:    "<p>Hello,</p><p>your car is due on <b>2024-05-01</b> at 08:00.</p>",
	}
}

// enqueue commits ms in one transaction.
func enqueue(t *testing.T, pool *pgxpool.Pool, ms ...mail.Message) {
	t.Helper()
	q := mail.NewQueue(schema)
	err := postgres.WithTx(context.Background(), pool, func(tx pgx.Tx) error {
		for _, m := range ms {
			if err := q.Enqueue(context.Background(), tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startDispatcher runs a dispatcher until the returned stop is called (or t ends);
// stop waits for Run to return and fails the test if it returned an error.
func startDispatcher(t *testing.T, pool *pgxpool.Pool, s mail.Sender, cfg mail.DispatcherConfig, reg prometheus.Registerer) (stop func()) {
	t.Helper()
	d := mail.NewDispatcher(pool, schema, s, cfg, testutil.Logger(t), reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("dispatcher Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// fast retries quickly so outage tests finish fast.
var fast = mail.DispatcherConfig{PollInterval: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}

func smtpSender(srv *testutil.SMTPServer) *mail.SMTPSender {
	return mail.NewSMTPSender(mail.SMTPConfig{Host: srv.Host(), Port: srv.Port(), Timeout: 5 * time.Second})
}

// received counts the messages the server got per Message-ID.
func received(srv *testutil.SMTPServer) map[string]int {
	n := map[string]int{}
	for _, m := range srv.Messages() {
		n[m.MessageID]++
	}
	return n
}

func find(srv *testutil.SMTPServer, id string) (testutil.ReceivedMail, bool) {
	for _, m := range srv.Messages() {
		if m.MessageID == id {
			return m, true
		}
	}
	return testutil.ReceivedMail{}, false
}

func get(t *testing.T, pool *pgxpool.Pool, id string) mail.Record {
	t.Helper()
	r, err := mail.Get(context.Background(), pool, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// metric reads a counter or gauge from reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := false
			for _, l := range m.GetLabel() {
				if l.GetName() == "mailbox" && l.GetValue() == schema {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("%s has no mailbox=%s label", name, schema)
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// failingSender fails every send with err until fail is set to false.
type failingSender struct {
	mu    sync.Mutex
	fail  bool
	sent  []mail.Message
	tries int
}

func (f *failingSender) Send(_ context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if f.fail {
		return errors.New("mail server says no")
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *failingSender) counts() (tries, sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries, len(f.sent)
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%03d@pitstop.example", prefix, i)
	}
	return out
}
