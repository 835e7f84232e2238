package notifications_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/serviceapis/notificationevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const today = "2024-05-01"

// TestNoJobsNoMail: a business day without jobs sends nothing.
func TestNoJobsNoMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	h.planJob(c, "2024-05-02", 8, "APK", "AB-123-C") // tomorrow's job: not today's business
	h.beginDay(today)
	if n := h.queuedMails(); n != 0 {
		t.Fatalf("%d mails queued for a day without jobs", n)
	}
	if n := h.QueryInt(`SELECT count(*) FROM reminders`); n != 0 {
		t.Errorf("%d reminders for a day without jobs", n)
	}
	if ms := h.smtp.Messages(); len(ms) != 0 {
		t.Errorf("mails sent: %s", describe(ms))
	}
}

// TestOneJobOneMail: the customer of a job planned on the day that begins gets one mail
// from noreply@pitstop.example naming the job's date, time, description and licence
// number, with the reminder's stable Message-ID; MaintenanceReminderSent is in the
// outbox once the mail is sent, stamped with the time it was sent.
func TestOneJobOneMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j := h.planJob(c, today, 8, "Replace front brake pads", "AB-123-C")
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 {
		t.Fatalf("%d mails, want 1: %s", len(ms), describe(ms))
	}
	m := ms[0]
	if !reflect.DeepEqual(m.To, []string{"lisa@example.com"}) || m.From != "noreply@pitstop.example" {
		t.Errorf("envelope from %q to %v", m.From, m.To)
	}
	if m.Subject != "Vehicle maintenance reminder" {
		t.Errorf("subject %q", m.Subject)
	}
	wantID := "reminder." + c.id + "." + today + "@pitstop.example"
	if m.MessageID != wantID {
		t.Errorf("Message-ID %q, want %q", m.MessageID, wantID)
	}
	if from := m.Header.Get("From"); !strings.Contains(from, "noreply@pitstop.example") {
		t.Errorf("From header %q", from)
	}
	for _, want := range []string{"Lisa de Vries", "2024-05-01 08:00-10:00", "Replace front brake pads", "AB-123-C"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}

	// The event is in the outbox, with the contract's fields, at the mail's sent time.
	var (
		payload  []byte
		sameTime bool
	)
	if err := h.Pool.QueryRow(context.Background(), `SELECT o.payload, o.occurred_at = m.sent_at
		FROM outbox o JOIN mail_outbox m ON m.message_id = $2
		WHERE o.event_type = $1`,
		notificationevents.SubjectMaintenanceReminderSent, wantID).Scan(&payload, &sameTime); err != nil {
		t.Fatalf("MaintenanceReminderSent not in the outbox: %v", err)
	}
	if !sameTime {
		t.Error("the event's time is not the mail's sent time")
	}
	var ev notificationevents.MaintenanceReminderSent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	want := notificationevents.MaintenanceReminderSent{CustomerID: c.id, Date: today, JobIDs: []string{j.id}, MessageID: wantID}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("event %+v, want %+v", ev, want)
	}
}

// TestTwoJobsOfOneCustomerOneMail: one mail names both jobs.
func TestTwoJobsOfOneCustomerOneMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j1 := h.planJob(c, today, 13, "Replace front brake pads", "AB-123-C")
	j2 := h.planJob(c, today, 8, "APK inspection", "XY-99-Z")
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 {
		t.Fatalf("%d mails, want 1: %s", len(ms), describe(ms))
	}
	body := ms[0].Text
	for _, want := range []string{"13:00-15:00: Replace front brake pads", "AB-123-C", "08:00-10:00: APK inspection", "XY-99-Z"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Index(body, "APK inspection") > strings.Index(body, "Replace front brake pads") {
		t.Errorf("jobs not listed by start time:\n%s", body)
	}
	items := h.reminders("").Items
	if len(items) != 1 || !reflect.DeepEqual(sortedCopy(items[0].JobIDs), sortedCopy([]string{j1.id, j2.id})) {
		t.Errorf("reminders %+v, want one with both jobs", items)
	}
}

// TestTwoCustomersTwoMails: each customer gets their own mail with only their job.
func TestTwoCustomersTwoMails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lisa := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	bob := h.registerCustomer("Bob Jansen", "bob@example.com")
	h.planJob(lisa, today, 8, "APK inspection", "AB-123-C")
	h.planJob(bob, today, 8, "Oil change", "XY-99-Z")
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 2 {
		t.Fatalf("%d mails, want 2: %s", len(ms), describe(ms))
	}
	for _, tc := range []struct{ email, has, hasNot string }{
		{"lisa@example.com", "AB-123-C", "XY-99-Z"},
		{"bob@example.com", "XY-99-Z", "AB-123-C"},
	} {
		got := mailsTo(ms, tc.email)
		if len(got) != 1 {
			t.Errorf("%d mails to %s, want 1", len(got), tc.email)
			continue
		}
		if !strings.Contains(got[0].Text, tc.has) || strings.Contains(got[0].Text, tc.hasNot) {
			t.Errorf("mail to %s should name %s and not %s:\n%s", tc.email, tc.has, tc.hasNot, got[0].Text)
		}
	}
}

// TestFinishedJobIsNotReminded: a job finished before its day begins is left out; a
// customer whose only job is finished gets no mail.
func TestFinishedJobIsNotReminded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lisa := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	bob := h.registerCustomer("Bob Jansen", "bob@example.com")
	done := h.planJob(lisa, today, 8, "APK inspection", "AB-123-C")
	h.planJob(lisa, today, 13, "Oil change", "AB-123-C")
	bobsDone := h.planJob(bob, today, 8, "Tyres", "XY-99-Z")
	h.Publish(jobFinished(t, done))
	h.Publish(jobFinished(t, bobsDone))
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 || len(mailsTo(ms, "lisa@example.com")) != 1 {
		t.Fatalf("mails %s, want one to lisa only", describe(ms))
	}
	if body := ms[0].Text; strings.Contains(body, "APK inspection") || !strings.Contains(body, "Oil change") {
		t.Errorf("body names the finished job or lacks the open one:\n%s", body)
	}
}

// TestFinishBeforePlanIsNotReminded: a MaintenanceJobFinished delivered before its
// MaintenanceJobPlanned is not lost: the plan finds the job finished.
func TestFinishBeforePlanIsNotReminded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j := job{id: uuid.NewString(), date: today, description: "APK inspection", licence: "AB-123-C", startHour: 8, endHour: 10}
	h.Publish(jobFinished(t, j))
	h.Publish(jobPlanned(t, c, j))
	h.beginDay(today)
	if n := h.queuedMails(); n != 0 {
		t.Fatalf("%d mails queued for a finished job", n)
	}
	if n := h.QueryInt(`SELECT count(*) FROM jobs WHERE job_id = $1 AND planned AND finished`, j.id); n != 1 {
		t.Errorf("job row planned and finished: %d, want 1", n)
	}
}

// TestDayHasPassedDeliveredTwiceSendsOneMail: the same event (same ce-id) published
// again past JetStream's duplicate window (another Nats-Msg-Id) is recognised by the
// inbox: no second reminder, no second mail.
func TestDayHasPassedDeliveredTwiceSendsOneMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	day := h.beginDay(today)
	h.waitAllSent()

	h.Publish(day, uuid.NewString())
	testutil.Eventually(t, wait, func() bool { return h.Metric("pitstop_consumer_duplicates_total") == 1 },
		"the second delivery was never recognised as a duplicate")
	if n := h.queuedMails(); n != 1 {
		t.Errorf("%d mails queued, want 1", n)
	}
	if ms := h.waitAllSent(); len(ms) != 1 {
		t.Errorf("%d mails sent, want 1: %s", len(ms), describe(ms))
	}
	if n := h.QueryInt(`SELECT count(*) FROM outbox`); n != 1 {
		t.Errorf("%d events in the outbox, want 1", n)
	}
}

// TestReplayedDaySendsNoSecondReminder: another DayHasPassed of the same date (a new
// event id: a replayed or restarted day) reminds no job a second time.
func TestReplayedDaySendsNoSecondReminder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	h.beginDay(today)
	h.waitAllSent()

	h.beginDay(today)
	if n := h.QueryInt(`SELECT count(*) FROM reminders`); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}
	if n := h.queuedMails(); n != 1 {
		t.Errorf("%d mails queued, want 1", n)
	}
	if ms := h.waitAllSent(); len(ms) != 1 {
		t.Errorf("%d mails sent, want 1: %s", len(ms), describe(ms))
	}
	if n := h.QueryInt(`SELECT count(*) FROM outbox`); n != 1 {
		t.Errorf("%d events in the outbox, want 1", n)
	}
}

// TestSMTPDownNothingLost: when the mail server is down as the day begins, the reminder
// is committed and its mail stays pending (sentAt null) and is retried; when the server
// is back the mail goes out, once.
func TestSMTPDownNothingLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.smtp.Stop()
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	h.beginDay(today)

	testutil.Eventually(t, wait, func() bool {
		return h.QueryInt(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 2`) == 1
	}, "the dispatcher never retried the pending mail")
	items := h.reminders("").Items
	if len(items) != 1 || items[0].SentAt != nil {
		t.Fatalf("reminders while SMTP is down %+v, want one with sentAt null", items)
	}

	h.smtp.Start()
	ms := h.waitAllSent()
	if len(ms) != 1 || ms[0].MessageID != items[0].MessageID {
		t.Fatalf("mails after the outage %s, want exactly the reminder %s", describe(ms), items[0].MessageID)
	}
	items = h.reminders("").Items
	if len(items) != 1 || items[0].SentAt == nil {
		t.Fatalf("reminders after the outage %+v, want sentAt set", items)
	}
	if _, err := time.Parse(time.RFC3339Nano, *items[0].SentAt); err != nil {
		t.Errorf("sentAt %q: %v", *items[0].SentAt, err)
	}
}

// TestMaintenanceReminderSentWaitsForTheMailServer: while the mail server is down the
// reminder exists (sentAt null) but MaintenanceReminderSent is not in the outbox: the
// event says the mail has left, not that it was queued. When the server is back and
// has accepted the mail, exactly one event is there, stamped with the sent time.
func TestMaintenanceReminderSentWaitsForTheMailServer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.smtp.Stop()
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j := h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	h.beginDay(today)
	sentEvents := func() int {
		return h.QueryInt(`SELECT count(*) FROM outbox WHERE event_type = $1`, notificationevents.SubjectMaintenanceReminderSent)
	}

	// The reminder, its mail and (before the fix) its event commit in one transaction:
	// once the reminder is visible, an event queued with it would be visible too.
	items := h.reminders("").Items
	if len(items) != 1 || items[0].SentAt != nil {
		t.Fatalf("reminders while SMTP is down %+v, want one with sentAt null", items)
	}
	if n := sentEvents(); n != 0 {
		t.Fatalf("%d MaintenanceReminderSent in the outbox while the mail is pending, want 0", n)
	}
	testutil.Eventually(t, wait, func() bool {
		return h.QueryInt(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 2`) == 1
	}, "the dispatcher never retried the pending mail")
	if n := sentEvents(); n != 0 {
		t.Fatalf("%d MaintenanceReminderSent in the outbox after failed sends, want 0", n)
	}

	h.smtp.Start()
	h.waitAllSent()
	if n := sentEvents(); n != 1 {
		t.Fatalf("%d MaintenanceReminderSent after the mail was sent, want 1", n)
	}
	var (
		payload []byte
		at      time.Time
	)
	if err := h.Pool.QueryRow(context.Background(), `SELECT payload, occurred_at FROM outbox WHERE event_type = $1`,
		notificationevents.SubjectMaintenanceReminderSent).Scan(&payload, &at); err != nil {
		t.Fatal(err)
	}
	var ev notificationevents.MaintenanceReminderSent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	want := notificationevents.MaintenanceReminderSent{CustomerID: c.id, Date: today, JobIDs: []string{j.id},
		MessageID: items[0].MessageID}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("event %+v, want %+v", ev, want)
	}
	items = h.reminders("").Items
	if len(items) != 1 || items[0].SentAt == nil {
		t.Fatalf("reminders after the outage %+v, want sentAt set", items)
	}
	sentAt, err := time.Parse(time.RFC3339Nano, *items[0].SentAt)
	if err != nil {
		t.Fatal(err)
	}
	if !at.Equal(sentAt) {
		t.Errorf("event time %v, want the reminder's sentAt %v", at, sentAt)
	}
	if received := h.smtp.Messages(); len(received) != 1 {
		t.Errorf("%d mails received, want 1: %s", len(received), describe(received))
	}
}

// TestCustomerArrivingAfterTheDayBeganIsRemindedThatDay: a job whose customer is not
// known when its day begins waits; the reminder goes out when the customer's data
// arrives on the same business day, and never for a day that is over.
func TestCustomerArrivingAfterTheDayBeganIsRemindedThatDay(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lisa := customer{id: uuid.NewString(), name: "Lisa de Vries", email: "lisa@example.com"}
	bob := customer{id: uuid.NewString(), name: "Bob Jansen", email: "bob@example.com"}
	h.Publish(jobPlanned(t, lisa, job{id: uuid.NewString(), date: today, description: "APK", licence: "AB-123-C", startHour: 8, endHour: 10}))
	h.Publish(jobPlanned(t, bob, job{id: uuid.NewString(), date: today, description: "Oil", licence: "XY-99-Z", startHour: 8, endHour: 10}))
	h.beginDay(today)
	if n := h.queuedMails(); n != 0 {
		t.Fatalf("%d mails queued without customer data", n)
	}

	h.WaitProcessed(h.Publish(customerRegistered(t, lisa, time.Now())))
	if ms := mailsTo(h.waitAllSent(), "lisa@example.com"); len(ms) != 1 || !strings.Contains(ms[0].Text, "AB-123-C") {
		t.Fatalf("mails to lisa %s, want the waiting reminder", describe(ms))
	}

	h.beginDay("2024-05-02")
	h.WaitProcessed(h.Publish(customerRegistered(t, bob, time.Now())))
	if n := h.queuedMails(); n != 1 {
		t.Errorf("%d mails queued, want only lisa's (bob's day is over)", n)
	}
}

// TestOlderCustomerUpdateNeverOverwritesNewer: contact data is newer-wins by event
// time, whatever the delivery order.
func TestOlderCustomerUpdateNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := customer{id: uuid.NewString(), name: "Lisa de Vries", email: "old@example.com"}
	now := time.Now()
	h.Publish(customerRegistered(t, c, now.Add(-2*time.Hour)))
	newer := c
	newer.email = "new@example.com"
	h.Publish(customerUpdated(t, newer, now))
	h.Publish(customerUpdated(t, c, now.Add(-time.Hour))) // older, delivered last
	h.planJob(c, today, 8, "APK", "AB-123-C")
	h.beginDay(today)
	ms := h.waitAllSent()
	if len(ms) != 1 || !reflect.DeepEqual(ms[0].To, []string{"new@example.com"}) {
		t.Errorf("mails %s, want one to the newest address", describe(ms))
	}
}

// TestPoisonEventsAreDeadLetteredAndDoNotStopTheFlow: an event that can never be
// applied is kept in consumer_dead_letter with its reason and the events behind it are
// handled.
func TestPoisonEventsAreDeadLetteredAndDoNotStopTheFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	bad := jobPlanned(t, c, job{id: uuid.NewString(), date: today, description: "APK", licence: "AB-123-C", startHour: 8, endHour: 10})
	bad.Data = []byte(`{"planningDate":"2024-05-01","jobId":"j","startTime":"8 o'clock","endTime":"","customer":{"customerId":"x"}}`)
	h.Publish(bad)
	badMail := customerRegistered(t, customer{id: uuid.NewString(), name: "X", email: "not an address"}, time.Now())
	h.Publish(badMail)
	h.planJob(c, today, 8, "APK", "AB-123-C")
	h.beginDay(today)
	if ms := h.waitAllSent(); len(ms) != 1 {
		t.Errorf("%d mails, want 1", len(ms))
	}
	for _, ev := range []events.Envelope{bad, badMail} {
		var reason string
		err := h.Pool.QueryRow(context.Background(), `SELECT reason FROM consumer_dead_letter WHERE event_id = $1`,
			ev.ID.String()).Scan(&reason)
		if err != nil {
			t.Errorf("event %s not dead-lettered: %v", ev.Type, err)
		} else if reason == "" {
			t.Errorf("event %s dead-lettered without a reason", ev.Type)
		}
	}
}

// TestRelayPublishesMaintenanceReminderSent: the outbox relay (cmd/cdc) publishes the
// reminder's event to JetStream with the CloudEvents envelope.
func TestRelayPublishesMaintenanceReminderSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j := h.planJob(c, today, 8, "APK", "AB-123-C")
	h.beginDay(today)

	relay, err := outbox.NewRelay(h.Pool, h.NC, outbox.RelayConfig{Schema: notifications.Schema,
		PollInterval: 50 * time.Millisecond}, testutil.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})

	cons, err := h.JS.OrderedConsumer(context.Background(), "PITSTOP", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{notificationevents.SubjectMaintenanceReminderSent}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(wait))
	if err != nil {
		t.Fatalf("no MaintenanceReminderSent published: %v", err)
	}
	ev, err := events.FromMsg(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		t.Fatal(err)
	}
	var got notificationevents.MaintenanceReminderSent
	if err := ev.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := notificationevents.MaintenanceReminderSent{CustomerID: c.id, Date: today, JobIDs: []string{j.id},
		MessageID: "reminder." + c.id + "." + today + "@pitstop.example"}
	if !reflect.DeepEqual(got, want) || ev.Source != notificationevents.Source || ev.Subject != c.id {
		t.Errorf("published %+v (%s, %s), want %+v", got, ev.Source, ev.Subject, want)
	}
	// ce-time is when the mail was sent.
	items := h.reminders("").Items
	if len(items) != 1 || items[0].SentAt == nil {
		t.Fatalf("reminders %+v, want one sent", items)
	}
	if sentAt, err := time.Parse(time.RFC3339Nano, *items[0].SentAt); err != nil || !ev.Time.Equal(sentAt) {
		t.Errorf("ce-time %v, want the reminder's sentAt %s (%v)", ev.Time, *items[0].SentAt, err)
	}
}
