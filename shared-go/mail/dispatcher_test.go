package mail_test

import (
	"context"
	"errors"
	"mime"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/faults"
	pitmail "github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const wait = 15 * time.Second

func TestCommittedMailIsDeliveredWithHeadersAndBothBodies(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	reg := prometheus.NewRegistry()
	startDispatcher(t, pool, smtpSender(srv), pitmail.DispatcherConfig{}, reg)

	m := message("reminder.c-1.2024-05-01@pitstop.example")
	m.Subject = "Vehicle maintenance reminder – Größe" // non-ASCII survives RFC 2047
	enqueue(t, pool, m)

	var got testutil.ReceivedMail
	testutil.Eventually(t, wait, func() (ok bool) { got, ok = find(srv, m.ID); return ok }, "mail not delivered")
	if got.From != "noreply@pitstop.example" {
		t.Errorf("envelope from = %q", got.From)
	}
	if strings.Join(got.To, ",") != "customer@example.com,other@example.com" {
		t.Errorf("envelope to = %v", got.To)
	}
	if got.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, m.Subject)
	}
	if h := got.Header.Get("Message-ID"); h != "<"+m.ID+">" {
		t.Errorf("Message-ID header = %q", h)
	}
	from, err := got.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "noreply@pitstop.example" || from[0].Name != "Pitstop" {
		t.Errorf("From header = %v (%v)", from, err)
	}
	to, err := got.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Address != "customer@example.com" || to[1].Address != "other@example.com" {
		t.Errorf("To header = %v (%v)", to, err)
	}
	date, err := got.Header.Date()
	if err != nil || time.Since(date) > time.Minute || time.Until(date) > time.Minute {
		t.Errorf("Date header = %v (%v)", date, err)
	}
	if mt, _, err := mime.ParseMediaType(got.Header.Get("Content-Type")); err != nil || mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", got.Header.Get("Content-Type"))
	}
	if strings.TrimRight(got.Text, "\n") != strings.TrimRight(m.Text, "\n") {
		t.Errorf("text body = %q, want %q", got.Text, m.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("html body = %q, want %q", got.HTML, m.HTML)
	}

	testutil.Eventually(t, wait, func() bool { return get(t, pool, m.ID).SentAt != nil }, "sent_at not set")
	r := get(t, pool, m.ID)
	if r.Attempts != 0 || r.LastError != "" {
		t.Errorf("record after a clean send: attempts %d, last error %q", r.Attempts, r.LastError)
	}
	if r.SentAt.Before(r.CreatedAt) {
		t.Errorf("sent_at %v before created_at %v", r.SentAt, r.CreatedAt)
	}
	testutil.Eventually(t, wait, func() bool {
		return metric(t, reg, "pitstop_mail_sent_total") == 1 && metric(t, reg, "pitstop_mail_pending") == 0
	}, "metrics: sent %v, pending %v", metric(t, reg, "pitstop_mail_sent_total"), metric(t, reg, "pitstop_mail_pending"))
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestSingleBodyMailsAreNotMultipart(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	startDispatcher(t, pool, smtpSender(srv), fast, nil)

	textOnly := message("text@pitstop.example")
	textOnly.HTML = ""
	htmlOnly := message("html@pitstop.example")
	htmlOnly.Text = ""
	enqueue(t, pool, textOnly, htmlOnly)

	testutil.Eventually(t, wait, func() bool { return len(srv.Messages()) == 2 }, "mails not delivered")
	for id, want := range map[string]string{textOnly.ID: "text/plain", htmlOnly.ID: "text/html"} {
		got, _ := find(srv, id)
		if mt, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type")); mt != want {
			t.Errorf("%s: Content-Type %q, want %s", id, got.Header.Get("Content-Type"), want)
		}
	}
	// SMTP ends a message with a line break; a single-part body gains it.
	if got, _ := find(srv, htmlOnly.ID); strings.TrimSuffix(got.HTML, "\n") != htmlOnly.HTML || got.Text != "" {
		t.Errorf("html-only mail: html %q text %q", got.HTML, got.Text)
	}
}

func TestHTMLIsSentExactlyAsGiven(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	startDispatcher(t, pool, smtpSender(srv), fast, nil)

	// Escaping is the caller's job (html/template); the mail package must neither
	// escape nor strip anything, or correctly escaped templates would be mangled.
	m := message("script@pitstop.example")
	m.HTML = `<p>Dear &lt;b&gt;customer</p><script>alert("x")</script>` + strings.Repeat("long line ", 50) + "é"
	enqueue(t, pool, m)

	var got testutil.ReceivedMail
	testutil.Eventually(t, wait, func() (ok bool) { got, ok = find(srv, m.ID); return ok }, "mail not delivered")
	if got.HTML != m.HTML {
		t.Errorf("html body changed:\n got %q\nwant %q", got.HTML, m.HTML)
	}
}

func TestRolledBackMailIsNeverSent(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	startDispatcher(t, pool, smtpSender(srv), fast, nil)

	rolledBack := message("rolled-back@pitstop.example")
	errBusiness := errors.New("business rule failed after the mail was queued")
	err := postgres.WithTx(context.Background(), pool, func(tx pgx.Tx) error {
		if err := pitmail.NewQueue(schema).Enqueue(context.Background(), tx, rolledBack); err != nil {
			return err
		}
		return errBusiness
	})
	if !errors.Is(err, errBusiness) {
		t.Fatalf("tx: %v", err)
	}
	// A mail committed afterwards is the barrier: once it arrived, the dispatcher has
	// had every chance to send the rolled-back one.
	barrier := message("barrier@pitstop.example")
	enqueue(t, pool, barrier)
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, barrier.ID); return ok }, "barrier not delivered")

	if _, ok := find(srv, rolledBack.ID); ok {
		t.Error("a mail of a rolled-back transaction was sent")
	}
	if _, err := pitmail.Get(context.Background(), pool, rolledBack.ID); !errors.Is(err, pitmail.ErrNotFound) {
		t.Errorf("Get(rolled back) = %v, want ErrNotFound", err)
	}
}

func TestNothingIsSentBeforeCommit(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	startDispatcher(t, pool, smtpSender(srv), fast, nil)

	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	open := message("open-tx@pitstop.example")
	if err := pitmail.NewQueue(schema).Enqueue(ctx, tx, open); err != nil {
		t.Fatal(err)
	}
	barrier := message("barrier@pitstop.example")
	enqueue(t, pool, barrier)
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, barrier.ID); return ok }, "barrier not delivered")
	if _, ok := find(srv, open.ID); ok {
		t.Fatal("mail sent before its transaction committed")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, open.ID); return ok }, "mail not sent after commit")
}

func TestEnqueueingTheSameIDTwiceSendsOneMail(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)

	first := message("invoice.2024-000001@pitstop.example")
	again := first
	again.Subject = "a retried handler built it again"
	enqueue(t, pool, first, again) // twice in one transaction
	enqueue(t, pool, again)        // and again in another
	if n, err := pitmail.Pending(context.Background(), pool); err != nil || n != 1 {
		t.Fatalf("pending = %d, %v; want 1", n, err)
	}

	startDispatcher(t, pool, smtpSender(srv), fast, nil)
	barrier := message("barrier@pitstop.example")
	enqueue(t, pool, barrier)
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, barrier.ID); return ok }, "barrier not delivered")
	testutil.Eventually(t, wait, func() bool { return received(srv)[first.ID] >= 1 }, "mail not delivered")

	// Enqueued again after it was sent: still nothing new.
	enqueue(t, pool, again)
	barrier2 := message("barrier2@pitstop.example")
	enqueue(t, pool, barrier2)
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, barrier2.ID); return ok }, "barrier not delivered")
	if n := received(srv)[first.ID]; n != 1 {
		t.Errorf("mail received %d times, want 1", n)
	}
	if got, _ := find(srv, first.ID); got.Subject != first.Subject {
		t.Errorf("subject %q: the first enqueued version should win", got.Subject)
	}
}

func TestMailsQueuedWhileSMTPIsDownAreDeliveredWhenItReturns(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	srv.Stop()
	reg := prometheus.NewRegistry()
	startDispatcher(t, pool, smtpSender(srv), fast, reg)

	ms := []pitmail.Message{message("down-1@pitstop.example"), message("down-2@pitstop.example"), message("down-3@pitstop.example")}
	enqueue(t, pool, ms...)

	testutil.Eventually(t, wait, func() bool {
		r := get(t, pool, ms[0].ID)
		return r.Attempts >= 2 && r.LastError != "" && r.SentAt == nil
	}, "failures not recorded on the row")
	r := get(t, pool, ms[0].ID)
	if !strings.Contains(r.LastError, "connect") {
		t.Errorf("last error %q does not say what failed", r.LastError)
	}
	if r.NextAttemptAt.Before(r.CreatedAt) {
		t.Errorf("next attempt %v not scheduled after a failure", r.NextAttemptAt)
	}
	testutil.Eventually(t, wait, func() bool {
		return metric(t, reg, "pitstop_mail_failures_total") >= 2 && metric(t, reg, "pitstop_mail_pending") == 3
	}, "metrics during the outage: failures %v, pending %v",
		metric(t, reg, "pitstop_mail_failures_total"), metric(t, reg, "pitstop_mail_pending"))
	if metric(t, reg, "pitstop_mail_sent_total") != 0 {
		t.Error("sent_total counted a failed send")
	}

	srv.Start()
	testutil.Eventually(t, wait, func() bool { return len(received(srv)) == 3 }, "mails not delivered after the outage: %v", received(srv))
	for _, m := range ms {
		if n := received(srv)[m.ID]; n != 1 {
			t.Errorf("%s received %d times", m.ID, n)
		}
		testutil.Eventually(t, wait, func() bool { return get(t, pool, m.ID).SentAt != nil }, "%s not marked sent", m.ID)
	}
	r = get(t, pool, ms[0].ID)
	if r.Attempts < 2 || r.LastError == "" {
		t.Errorf("the failure history is gone: attempts %d, last error %q", r.Attempts, r.LastError)
	}
	testutil.Eventually(t, wait, func() bool {
		return metric(t, reg, "pitstop_mail_sent_total") == 3 && metric(t, reg, "pitstop_mail_pending") == 0
	}, "metrics after the outage")
}

func TestARestartedDispatcherDoesNotResendSentMails(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)

	first := message("before-restart@pitstop.example")
	enqueue(t, pool, first)
	stop := startDispatcher(t, pool, smtpSender(srv), fast, nil)
	testutil.Eventually(t, wait, func() bool { return get(t, pool, first.ID).SentAt != nil }, "not marked sent")
	stop()

	startDispatcher(t, pool, smtpSender(srv), fast, nil)
	barrier := message("after-restart@pitstop.example")
	enqueue(t, pool, barrier)
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, barrier.ID); return ok }, "barrier not delivered")
	if n := received(srv)[first.ID]; n != 1 {
		t.Errorf("mail sent before the restart received %d times, want 1", n)
	}
}

func TestTwoDispatchersNeverSendTheSameMailTwice(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	const n = 60
	var ms []pitmail.Message
	for _, id := range ids("concurrent", n) {
		ms = append(ms, message(id))
	}
	enqueue(t, pool, ms...)

	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	startDispatcher(t, pool, smtpSender(srv), fast, regA)
	startDispatcher(t, pool, smtpSender(srv), fast, regB)

	testutil.Eventually(t, wait, func() bool { return len(srv.Messages()) >= n }, "only %d of %d delivered", len(srv.Messages()), n)
	testutil.Eventually(t, wait, func() bool {
		p, err := pitmail.Pending(context.Background(), pool)
		return err == nil && p == 0
	}, "mails left pending")
	got := received(srv)
	for _, m := range ms {
		if got[m.ID] != 1 {
			t.Errorf("%s received %d times", m.ID, got[m.ID])
		}
	}
	if len(srv.Messages()) != n {
		t.Errorf("server got %d messages, want %d", len(srv.Messages()), n)
	}
	if a, b := metric(t, regA, "pitstop_mail_sent_total"), metric(t, regB, "pitstop_mail_sent_total"); a+b != n {
		t.Errorf("dispatchers counted %v + %v sent, want %d", a, b, n)
	}
}

func TestALeaseHeldByACrashedDispatcherRunsOut(t *testing.T) {
	t.Parallel()
	pool := database(t)
	srv := testutil.StartSMTP(t)
	ctx := context.Background()

	orphan := message("orphan@pitstop.example")
	enqueue(t, pool, orphan)
	// As if another dispatcher claimed it and died mid-send.
	if _, err := pool.Exec(ctx, `UPDATE mail_outbox SET locked_until = now() + interval '1 hour' WHERE message_id = $1`, orphan.ID); err != nil {
		t.Fatal(err)
	}
	startDispatcher(t, pool, smtpSender(srv), fast, nil)
	barrier := message("barrier@pitstop.example")
	enqueue(t, pool, barrier)
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, barrier.ID); return ok }, "barrier not delivered")
	if _, ok := find(srv, orphan.ID); ok {
		t.Fatal("a mail leased by another dispatcher was sent")
	}

	if _, err := pool.Exec(ctx, `UPDATE mail_outbox SET locked_until = now() - interval '1 second' WHERE message_id = $1`, orphan.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, func() bool { _, ok := find(srv, orphan.ID); return ok }, "mail with an expired lease not sent")
}

func TestFailuresAreRetriedWithBackoffAndKeepTheError(t *testing.T) {
	t.Parallel()
	pool := database(t)
	s := &failingSender{fail: true}
	reg := prometheus.NewRegistry()
	// A long back-off: after the first failure the mail must wait, not be retried.
	startDispatcher(t, pool, s, pitmail.DispatcherConfig{PollInterval: 20 * time.Millisecond,
		MinBackoff: time.Hour, MaxBackoff: 2 * time.Hour}, reg)

	m := message("backoff@pitstop.example")
	enqueue(t, pool, m)
	testutil.Eventually(t, wait, func() bool { return get(t, pool, m.ID).Attempts == 1 }, "failure not recorded")
	r := get(t, pool, m.ID)
	if r.LastError != "mail server says no" {
		t.Errorf("last error = %q", r.LastError)
	}
	if d := r.NextAttemptAt.Sub(time.Now()); d < 50*time.Minute || d > 61*time.Minute {
		t.Errorf("next attempt in %v, want MinBackoff (1h)", d)
	}
	// The dispatcher keeps polling (every 20ms) but must leave the mail alone; a
	// second mail sent afterwards shows it is still running.
	s.mu.Lock()
	s.fail = false
	s.mu.Unlock()
	other := message("other@pitstop.example")
	enqueue(t, pool, other)
	testutil.Eventually(t, wait, func() bool { return get(t, pool, other.ID).SentAt != nil }, "dispatcher stopped after a failure")
	if tries, _ := s.counts(); tries != 2 {
		t.Errorf("sender called %d times, want 2 (one failure, then the other mail)", tries)
	}
	if metric(t, reg, "pitstop_mail_failures_total") != 1 {
		t.Errorf("failures_total = %v, want 1", metric(t, reg, "pitstop_mail_failures_total"))
	}
}

func TestFileSenderThroughTheDispatcher(t *testing.T) {
	t.Parallel()
	pool := database(t)
	fs := pitmail.NewFileSender(t.TempDir())
	startDispatcher(t, pool, fs, fast, nil)
	m := message("file@pitstop.example")
	enqueue(t, pool, m)
	testutil.Eventually(t, wait, func() bool { return get(t, pool, m.ID).SentAt != nil }, "not sent")
	got := readEML(t, fs.Path(m.ID))
	if got.MessageID != m.ID || got.HTML != m.HTML {
		t.Errorf("eml: id %q html %q", got.MessageID, got.HTML)
	}
}

func TestListAndPending(t *testing.T) {
	t.Parallel()
	pool := database(t)
	ctx := context.Background()
	s := &failingSender{}
	all := ids("list", 5)
	for _, id := range all {
		enqueue(t, pool, message(id))
	}
	if n, err := pitmail.Pending(ctx, pool); err != nil || n != 5 {
		t.Fatalf("pending = %d, %v", n, err)
	}
	page, err := pitmail.List(ctx, pool, pitmail.ListFilter{Limit: 3})
	if err != nil || len(page) != 3 || page[0].ID != all[0] || page[2].ID != all[2] {
		t.Fatalf("first page = %v, %v", page, err)
	}
	rest, err := pitmail.List(ctx, pool, pitmail.ListFilter{After: page[2].Seq})
	if err != nil || len(rest) != 2 || rest[0].ID != all[3] {
		t.Fatalf("second page = %v, %v", rest, err)
	}
	if rest[0].From != "Pitstop <noreply@pitstop.example>" || len(rest[0].To) != 2 || rest[0].Text == "" || rest[0].HTML == "" {
		t.Errorf("record does not carry the message: %+v", rest[0].Message)
	}

	startDispatcher(t, pool, s, fast, nil)
	testutil.Eventually(t, wait, func() bool { n, _ := pitmail.Pending(ctx, pool); return n == 0 }, "not sent")
	sent, err := pitmail.List(ctx, pool, pitmail.ListFilter{Status: pitmail.StatusSent})
	if err != nil || len(sent) != 5 {
		t.Fatalf("sent = %d, %v", len(sent), err)
	}
	pending, err := pitmail.List(ctx, pool, pitmail.ListFilter{Status: pitmail.StatusPending})
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending = %d, %v", len(pending), err)
	}
	// The dispatcher sends in enqueue order.
	for i, m := range s.sent {
		if m.ID != all[i] {
			t.Errorf("sent #%d = %s, want %s", i, m.ID, all[i])
		}
	}
}

func TestEnqueueRejectsInvalidMessagesAndStoresNothing(t *testing.T) {
	t.Parallel()
	pool := database(t)
	ctx := context.Background()
	valid := message("valid@pitstop.example")
	for name, mutate := range map[string]func(*pitmail.Message){
		"empty id":          func(m *pitmail.Message) { m.ID = "" },
		"id with brackets":  func(m *pitmail.Message) { m.ID = "<a@b>" },
		"id without domain": func(m *pitmail.Message) { m.ID = "reminder.1" },
		"id with space":     func(m *pitmail.Message) { m.ID = "a b@pitstop.example" },
		"id with newline":   func(m *pitmail.Message) { m.ID = "a@b\r\nBcc: victim@example.com" },
		"id too long":       func(m *pitmail.Message) { m.ID = strings.Repeat("a", 300) + "@b" },
		"bad from":          func(m *pitmail.Message) { m.From = "not an address" },
		"no recipient":      func(m *pitmail.Message) { m.To = nil },
		"bad recipient":     func(m *pitmail.Message) { m.To = []string{"ok@example.com", "nope"} },
		"subject newline":   func(m *pitmail.Message) { m.Subject = "hi\r\nBcc: victim@example.com" },
		"no body":           func(m *pitmail.Message) { m.Text, m.HTML = "", "" },
		"invalid utf-8":     func(m *pitmail.Message) { m.Text = "\xff\xfe" },
		"nul byte":          func(m *pitmail.Message) { m.HTML = "a\x00b" },
	} {
		m := valid
		m.To = append([]string(nil), valid.To...)
		mutate(&m)
		if err := m.Validate(); !errors.Is(err, pitmail.ErrInvalidMessage) {
			t.Errorf("%s: Validate = %v, want ErrInvalidMessage", name, err)
		}
		err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return pitmail.NewQueue(schema).Enqueue(ctx, tx, m) })
		if !errors.Is(err, pitmail.ErrInvalidMessage) {
			t.Errorf("%s: Enqueue = %v, want ErrInvalidMessage", name, err)
		}
	}
	if err := valid.Validate(); err != nil {
		t.Errorf("valid message: %v", err)
	}
	if rs, err := pitmail.List(ctx, pool, pitmail.ListFilter{}); err != nil || len(rs) != 0 {
		t.Errorf("stored %d rows (%v), want none", len(rs), err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := database(t)
	if err := pitmail.Migrate(context.Background(), pool, schema); err != nil {
		t.Fatal(err)
	}
}

// readEML parses an .eml file the way a mail client would.
func readEML(t *testing.T, path string) testutil.ReceivedMail {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mail.ReadMessage(strings.NewReader(string(data))); err != nil {
		t.Fatalf("%s is not an RFC 5322 message: %v", path, err)
	}
	return testutil.ParseMail(data)
}

func TestDispatchersOfSeveralSchemasShareARegistry(t *testing.T) {
	t.Parallel()
	// The all-in-one registers notifications' and invoicing's dispatchers on one
	// registry: same metric names, different mailbox labels.
	reg := prometheus.NewRegistry()
	pitmail.NewDispatcher(nil, "notifications", &failingSender{}, pitmail.DispatcherConfig{}, nil, reg)
	pitmail.NewDispatcher(nil, "invoicing", &failingSender{}, pitmail.DispatcherConfig{}, nil, reg)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		want := 2
		if mf.GetName() == "pitstop_mail_transient_failures_total" {
			want = 2 * len(faults.Reasons) // one series per mailbox and reason
		}
		if len(mf.GetMetric()) != want {
			t.Errorf("%s has %d series, want %d", mf.GetName(), len(mf.GetMetric()), want)
		}
	}
	if len(mfs) != 4 {
		t.Errorf("%d metric families, want 4", len(mfs))
	}
}
