package admincli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/cmd/pitstop/admincli"
	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// env is a database with the real customers and auditlog schemas and a JetStream.
type env struct {
	t        *testing.T
	db       string
	ns       *testutil.NATSServer
	nc       *nats.Conn
	js       jetstream.JetStream
	customer *pgxpool.Pool
	audit    *pgxpool.Pool
	auditMod app.Module
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, db: testutil.Database(t), ns: testutil.StartNATS(t)}
	e.nc, e.js = e.ns.Connect(t)
	if err := messaging.EnsureStreams(ctx, e.js); err != nil {
		t.Fatal(err)
	}
	e.customer = testutil.Pool(t, e.db, customers.Schema)
	e.audit = testutil.Pool(t, e.db, auditlog.Schema)
	log := testutil.Logger(t)
	if _, err := customers.New(ctx, app.Deps{Pool: e.customer, NC: e.nc, JS: e.js, Log: log}); err != nil {
		t.Fatal(err)
	}
	m, err := auditlog.New(ctx, app.Deps{Pool: e.audit, NC: e.nc, JS: e.js, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	e.auditMod = m
	return e
}

// run runs the pitstop subcommand args and returns its exit code and output.
func (e *env) run(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	code = admincli.Run(context.Background(), admincli.Options{DatabaseURL: e.db, NATSURL: e.ns.URL(),
		Stdout: &out, Stderr: &errOut, User: "tester@host", PollInterval: 20 * time.Millisecond, StallAfter: 5 * time.Second}, args)
	return code, out.String(), errOut.String()
}

// ok runs args and requires exit code 0.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != 0 {
		e.t.Fatalf("pitstop %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs args and requires exit code want; it returns stderr.
func (e *env) fails(want int, args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != want {
		e.t.Fatalf("pitstop %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return errOut
}

func (e *env) count(pool *pgxpool.Pool, q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestIsCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"dlq", "status", "replay", "republish", "slots"} {
		if !admincli.IsCommand(c) {
			t.Errorf("%s is not a command", c)
		}
	}
	for _, c := range []string{"", "run", "-h", "serve"} {
		if admincli.IsCommand(c) {
			t.Errorf("%q is a command: pitstop %s would not start the system", c, c)
		}
	}
}

func TestDLQCommands(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	if _, err := e.customer.Exec(ctx, `INSERT INTO outbox_dead_letter (id, event_id, event_type, source, subject, seq, occurred_at,
			payload, created_at, attempts, error, attempt_times, dead_at) VALUES
		(42, gen_random_uuid(), 'pitstop.customers.CustomerUpdated', 'pitstop/customers', 'c1', 2, now(),
		 '{"customerId":"c1","name":"Lisa"}', now(), 10, 'maximum payload exceeded', ARRAY[now(), now()], now() - interval '3 hours')`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.audit.Exec(ctx, `INSERT INTO inbox_sequence (consumer, aggregate, last_seq) VALUES ('auditlog', 'customers/c2', 2)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.audit.Exec(ctx, `INSERT INTO consumer_dead_letter (consumer, event_id, event_type, subject, aggregate, seq,
			headers, data, deliveries, stream_seq, reason) VALUES
		('auditlog', '6f1c1f0e-4c3e-4a57-9f53-2d9cbb0e2a11', 'pitstop.customers.CustomerUpdated', 'pitstop.customers.CustomerUpdated',
		 'customers/c2', 3, '{"ce-id":["6f1c1f0e-4c3e-4a57-9f53-2d9cbb0e2a11"]}', '{"customerId":"c2"}', 6, 17, 'insert audit entry: boom')`); err != nil {
		t.Fatal(err)
	}

	out := e.ok("dlq", "list")
	for _, want := range []string{"relay:customers:42", "consumer:auditlog:1", "pitstop.customers.CustomerUpdated", "3h00m",
		"maximum payload exceeded", "unresolved", "2 dead letters"} {
		if !strings.Contains(out, want) {
			t.Errorf("dlq list lacks %q:\n%s", want, out)
		}
	}
	if got := decode[[]admin.DeadLetter](t, e.ok("dlq", "list", "--consumer", "auditlog", "--json")); len(got) != 1 ||
		got[0].ID != "consumer:auditlog:1" || got[0].Aggregate != "customers/c2" {
		t.Fatalf("dlq list --consumer auditlog: %+v", got)
	}
	if got := decode[[]admin.DeadLetter](t, e.ok("dlq", "list", "--older-than", "1h", "--type", "CustomerUpdated", "--json")); len(got) != 1 ||
		got[0].ID != "relay:customers:42" {
		t.Fatalf("dlq list --older-than 1h: %+v", got)
	}
	e.fails(2, "dlq", "list", "--older-than", "a while")
	e.fails(2, "dlq", "list", "--kind", "outbox")
	e.fails(2, "dlq", "frobnicate")

	out = e.ok("dlq", "show", "42", "--context", "customers")
	for _, want := range []string{"relay:customers:42", "event type:", "pitstop.customers.CustomerUpdated", "aggregate:", "c1",
		`"name": "Lisa"`, "attempts at:", "pitstop dlq skip relay:customers:42"} {
		if !strings.Contains(out, want) {
			t.Errorf("dlq show lacks %q:\n%s", want, out)
		}
	}
	out = e.ok("dlq", "show", "1", "--context", "auditlog", "--consumer-side")
	if !strings.Contains(out, "ce-id: 6f1c1f0e-4c3e-4a57-9f53-2d9cbb0e2a11") || !strings.Contains(out, "consumer:") {
		t.Errorf("dlq show of a consumer dead letter:\n%s", out)
	}
	e.fails(2, "dlq", "show", "42") // a bare number without --context
	if msg := e.fails(1, "dlq", "show", "relay:customers:43"); !strings.Contains(msg, "not found") {
		t.Errorf("unknown id: %s", msg)
	}

	// Skipping the audit log's own dead letter records it in the audit log directly.
	e.fails(2, "dlq", "skip", "consumer:auditlog:1")
	out = e.ok("dlq", "skip", "consumer:auditlog:1", "--reason", "customer erased")
	if !strings.Contains(out, "skipped; recorded as event") {
		t.Errorf("skip output: %s", out)
	}
	var by, reason, eventID string
	if err := e.audit.QueryRow(ctx, `SELECT data->>'by', data->>'reason', data->>'eventId' FROM audit_entries
		WHERE type = 'pitstop.auditlog.DeadLetterSkipped'`).Scan(&by, &reason, &eventID); err != nil {
		t.Fatal(err)
	}
	if by != "tester@host" || reason != "customer erased" || eventID != "6f1c1f0e-4c3e-4a57-9f53-2d9cbb0e2a11" {
		t.Fatalf("audit entry: by %q reason %q event %q", by, reason, eventID)
	}
	if n := e.count(e.audit, `SELECT last_seq FROM inbox_sequence WHERE consumer = 'auditlog' AND aggregate = 'customers/c2'`); n != 3 {
		t.Fatalf("auditlog's sequence of customers/c2 = %d, want 3", n)
	}
	if msg := e.fails(1, "dlq", "skip", "consumer:auditlog:1", "--reason", "again"); !strings.Contains(msg, "already resolved") {
		t.Errorf("second skip: %s", msg)
	}

	outcomes := decode[[]admin.Outcome](t, e.ok("dlq", "requeue", "relay:customers:42", "--by", "ops", "--json"))
	if len(outcomes) != 1 || outcomes[0].Action != "requeued" {
		t.Fatalf("requeue: %+v", outcomes)
	}
	if n := e.count(e.customer, `SELECT count(*) FROM outbox WHERE id = 42 AND seq = 2 AND attempts = 0`); n != 1 {
		t.Fatal("the requeued row is not back in the outbox under its id")
	}
	if out := e.ok("dlq", "list"); !strings.Contains(out, "No unresolved dead letters.") {
		t.Errorf("dlq list after resolving everything:\n%s", out)
	}
	if got := decode[[]admin.DeadLetter](t, e.ok("dlq", "list", "--all", "--json")); len(got) != 1 || got[0].Resolution != "skipped" ||
		got[0].ResolvedBy != "tester@host" {
		t.Fatalf("dlq list --all: %+v", got)
	}
}

func TestStatusReplayAndRepublishCommands(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	if _, err := e.customer.Exec(ctx, `INSERT INTO customers (customer_id, name, address, postal_code, city, telephone_number, email_address)
		SELECT gen_random_uuid(), 'Customer ' || i, 'Street ' || i, '1234 AB', 'Delft', '+31 15 1234567', 'c' || i || '@example.com'
		FROM generate_series(1, 3) i`); err != nil {
		t.Fatal(err)
	}
	e.fails(2, "republish", "--context", "invoicing")
	if out := e.ok("republish", "--context", "customers"); !strings.Contains(out, "customers: 3 state-transfer events") {
		t.Fatalf("republish: %s", out)
	}
	st := decode[admin.Status](t, e.ok("status", "--json"))
	if len(st.Outboxes) != 1 || st.Outboxes[0].Context != "customers" || st.Outboxes[0].Depth != 3 || st.Outboxes[0].Leader != nil {
		t.Fatalf("status before the relay: %+v", st.Outboxes)
	}
	if out := e.ok("status"); !strings.Contains(out, "customers") || !strings.Contains(out, "NONE") {
		t.Fatalf("status table:\n%s", out)
	}

	// The relay publishes the state transfers; the audit log records them.
	relay, err := outbox.NewRelay(e.customer, e.nc, outbox.RelayConfig{Schema: customers.Schema, PollInterval: 20 * time.Millisecond},
		testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = relay.Run(rctx) }()
	for _, w := range e.auditMod.Workers() {
		go func() { _ = w(rctx) }()
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return e.count(e.audit, `SELECT count(*) FROM audit_entries WHERE type = 'pitstop.customers.CustomerStateTransferred'`) == 3
	}, "the audit log recorded the three state transfers")
	st = decode[admin.Status](t, e.ok("status", "--json"))
	if st.Outboxes[0].Depth != 0 || st.Outboxes[0].Leader == nil || len(st.Consumers) != 1 || st.Consumers[0].Name != "auditlog" ||
		!st.Consumers[0].OnStream || st.Consumers[0].Context != "auditlog" || st.Stream == nil || st.Stream.Messages != 3 {
		t.Fatalf("status with the relay and the audit log: %+v", st)
	}
	out := e.ok("status")
	for _, want := range []string{"OUTBOX", "pid ", "pitstop-customers", "CONSUMER", "auditlog", "stream PITSTOP: 3 messages"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	e.fails(2, "replay", "--consumer", "auditlog")
	e.fails(2, "replay", "--consumer", "auditlog", "--since-seq", "1", "--since", "1h")
	e.fails(2, "replay", "--since-seq", "1")
	if msg := e.fails(1, "replay", "--consumer", "nobody", "--since-seq", "1"); !strings.Contains(msg, "not found") {
		t.Errorf("replay of an unknown consumer: %s", msg)
	}
	code, out, errOut := e.run("replay", "--consumer", "auditlog", "--since-seq", "1")
	if code != 0 || !strings.Contains(out, "3 messages to redeliver") || !strings.Contains(errOut, "100%") ||
		!strings.Contains(errOut, "replay delivered and acknowledged") {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errOut)
	}
	res := decode[admin.ReplayResult](t, e.ok("replay", "--consumer", "auditlog", "--since", "2020-01-01", "--no-wait", "--json"))
	if res.DeliverPolicy != "by_start_time" || res.StartTime == nil || !res.StartTime.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("replay --since 2020-01-01: %+v", res)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		st := decode[admin.Status](t, e.ok("status", "--json"))
		return st.Consumers[0].NumPending == 0 && st.Consumers[0].NumAckPending == 0
	}, "the second replay is consumed")
	if n := e.count(e.audit, `SELECT count(*) FROM audit_entries`); n != 3 {
		t.Fatalf("%d audit entries after two replays, want still 3", n)
	}
}
