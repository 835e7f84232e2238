package notifications_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/testutil"
)

const tomorrow = "2024-05-02"

// TestCancelledJobIsNotReminded: a job cancelled before its day begins is left out of
// its customer's reminder; a customer whose only job is cancelled gets no mail.
func TestCancelledJobIsNotReminded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lisa := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	bob := h.registerCustomer("Bob Jansen", "bob@example.com")
	cancelled := h.planJob(lisa, today, 8, "APK inspection", "AB-123-C")
	h.planJob(lisa, today, 13, "Oil change", "AB-123-C")
	bobs := h.planJob(bob, today, 8, "Tyres", "XY-99-Z")
	h.Publish(jobCancelled(t, cancelled))
	h.Publish(jobCancelled(t, bobs))
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 || len(mailsTo(ms, "lisa@example.com")) != 1 {
		t.Fatalf("mails %s, want one to lisa only", describe(ms))
	}
	if body := ms[0].Text; strings.Contains(body, "APK inspection") || !strings.Contains(body, "Oil change") {
		t.Errorf("body names the cancelled job or lacks the open one:\n%s", body)
	}
	if n := h.QueryInt(`SELECT count(*) FROM jobs WHERE job_id = ANY($1) AND cancelled AND reminder_id IS NULL`,
		[]string{cancelled.id, bobs.id}); n != 2 {
		t.Errorf("%d cancelled, unreminded job rows, want 2", n)
	}
}

// TestCancelBeforePlanIsNotReminded: a cancel delivered before the job's plan is kept;
// the plan finds the job cancelled.
func TestCancelBeforePlanIsNotReminded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j := job{id: uuid.NewString(), date: today, description: "APK inspection", licence: "AB-123-C", startHour: 8, endHour: 10}
	h.Publish(jobCancelled(t, j))
	h.Publish(jobPlanned(t, c, j))
	h.beginDay(today)
	if n := h.queuedMails(); n != 0 {
		t.Fatalf("%d mails queued for a cancelled job", n)
	}
	if n := h.QueryInt(`SELECT count(*) FROM jobs WHERE job_id = $1 AND planned AND cancelled`, j.id); n != 1 {
		t.Errorf("job row planned and cancelled: %d, want 1", n)
	}
}

// TestJobMovedWithinTheDayIsRemindedAtItsNewTime: the reminder shows the times of the
// last move, not those of the plan.
func TestJobMovedWithinTheDayIsRemindedAtItsNewTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	j := h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	h.moveJob(c, j, today, 14)
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 {
		t.Fatalf("%d mails, want 1: %s", len(ms), describe(ms))
	}
	body := ms[0].Text
	if !strings.Contains(body, "2024-05-01 14:00-16:00: APK inspection") || strings.Contains(body, "08:00") {
		t.Errorf("the reminder does not show the new time 14:00-16:00 (only):\n%s", body)
	}
	if items := h.reminders("").Items; len(items) != 1 || len(items[0].JobIDs) != 1 || items[0].JobIDs[0] != j.id {
		t.Errorf("reminders %+v, want one of job %s", items, j.id)
	}
}

// TestJobMovedToAnotherDayIsRemindedOnlyThere: a job moved to the next day (keeping
// its id, which workshop makes unique per day only) is not reminded on its old day,
// and is reminded on its new day at its new time; another job of the customer on the
// old day is still reminded there.
func TestJobMovedToAnotherDayIsRemindedOnlyThere(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lisa := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	bob := h.registerCustomer("Bob Jansen", "bob@example.com")
	moved := h.planJob(lisa, today, 8, "APK inspection", "AB-123-C")
	h.planJob(bob, today, 8, "Tyres", "XY-99-Z")
	h.moveJob(lisa, moved, tomorrow, 13)
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 || len(mailsTo(ms, "bob@example.com")) != 1 {
		t.Fatalf("mails of the old day %s, want bob's only", describe(ms))
	}
	if n := h.QueryInt(`SELECT count(*) FROM jobs WHERE planning_date = $1 AND job_id = $2`, today, moved.id); n != 0 {
		t.Errorf("the moved job is still on its old day")
	}

	h.beginDay(tomorrow)
	ms = h.waitAllSent()
	lisas := mailsTo(ms, "lisa@example.com")
	if len(ms) != 2 || len(lisas) != 1 {
		t.Fatalf("mails %s, want bob's of today and lisa's of tomorrow", describe(ms))
	}
	if want := "reminder." + lisa.id + "." + tomorrow + "@pitstop.example"; lisas[0].MessageID != want {
		t.Errorf("Message-ID %q, want %q", lisas[0].MessageID, want)
	}
	if !strings.Contains(lisas[0].Text, "2024-05-02 13:00-15:00: APK inspection") {
		t.Errorf("the reminder does not show the job on its new day and time:\n%s", lisas[0].Text)
	}
	items := h.reminders("customerId=" + lisa.id).Items
	if len(items) != 1 || items[0].Date != tomorrow || len(items[0].JobIDs) != 1 || items[0].JobIDs[0] != moved.id {
		t.Errorf("lisa's reminders %+v, want one of %s on %s", items, moved.id, tomorrow)
	}
}

// TestCancelAndMoveAfterTheReminderSendNothingAgain: once a day's reminder is made, a
// cancel or a move of its jobs neither sends it again nor fails: the cancelled job
// stays cancelled, the job moved within the day gets its new times without a second
// mail, the job moved away is reminded on its new day only, and a job moved onto the
// current business day is reminded at once, alone, in a second reminder of the day.
func TestCancelAndMoveAfterTheReminderSendNothingAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	cancelled := h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	later := h.planJob(c, today, 10, "Oil change", "AB-123-C")
	away := h.planJob(c, today, 12, "Tyres", "AB-123-C")
	onto := h.planJob(c, tomorrow, 8, "Wipers", "AB-123-C")
	h.beginDay(today)
	if ms := h.waitAllSent(); len(ms) != 1 {
		t.Fatalf("%d mails of the day, want 1: %s", len(ms), describe(ms))
	}

	h.Publish(jobCancelled(t, cancelled))
	h.moveJob(c, later, today, 15)
	h.moveJob(c, away, tomorrow, 12)
	// Moved onto the current business day after its reminder: reminded at once, and
	// the reminder must list that job only (none of the reminded ones again).
	h.moveJob(c, onto, today, 17)
	h.barrier()

	if n := h.Count("consumer_dead_letter", "true"); n != 0 {
		t.Fatalf("%d events dead-lettered", n)
	}
	ms := h.waitAllSent()
	if len(ms) != 2 {
		t.Fatalf("%d mails, want the day's first reminder and one for the job moved onto it: %s", len(ms), describe(ms))
	}
	second := ms[1]
	if want := "reminder." + c.id + "." + today + ".2@pitstop.example"; second.MessageID != want {
		t.Errorf("second mail's Message-ID %q, want %q", second.MessageID, want)
	}
	for _, gone := range []string{"APK inspection", "Oil change", "Tyres"} {
		if strings.Contains(second.Text, gone) {
			t.Errorf("the second reminder names %q again:\n%s", gone, second.Text)
		}
	}
	if !strings.Contains(second.Text, "2024-05-01 17:00-19:00: Wipers") {
		t.Errorf("the second reminder lacks the job moved onto the day:\n%s", second.Text)
	}
	if n := h.QueryInt(`SELECT count(*) FROM jobs WHERE planning_date = $1 AND job_id = $2 AND start_time LIKE '%T15:00:00%'
		AND reminder_id IS NOT NULL`, today, later.id); n != 1 {
		t.Errorf("the job moved within the reminded day does not have its new time (or lost its reminder)")
	}

	h.beginDay(tomorrow)
	ms = h.waitAllSent()
	if len(ms) != 3 {
		t.Fatalf("%d mails, want a third for the job moved to tomorrow: %s", len(ms), describe(ms))
	}
	if body := ms[2].Text; !strings.Contains(body, "2024-05-02 12:00-14:00: Tyres") || strings.Contains(body, "Wipers") {
		t.Errorf("tomorrow's reminder should list the job moved there only:\n%s", body)
	}
}

// TestRedeliveredCancelAndMoveChangeNothing: a cancel or a move delivered again (the
// same event past JetStream's duplicate window) is recognised and changes nothing,
// not even after a later move of the same job; the same change sent again as a new
// event is harmless too.
func TestRedeliveredCancelAndMoveChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	cancelled := h.planJob(c, today, 8, "APK inspection", "AB-123-C")
	moved := h.planJob(c, today, 10, "Oil change", "AB-123-C")
	away := h.planJob(c, today, 12, "Tyres", "AB-123-C")
	cancel := h.Publish(jobCancelled(t, cancelled))
	first := moved
	first.startHour, first.endHour = 14, 16
	firstMove := h.Publish(jobMoved(t, moved, first))
	second := moved
	second.startHour, second.endHour = 16, 18
	h.Publish(jobMoved(t, moved, second))
	to := away
	to.date = tomorrow
	awayMove := h.Publish(jobMoved(t, away, to))
	h.Publish(jobPlanned(t, c, to))
	h.barrier()

	h.Publish(cancel, uuid.NewString())
	h.Publish(firstMove, uuid.NewString())
	h.Publish(awayMove, uuid.NewString())
	testutil.Eventually(t, wait, func() bool { return h.Metric("pitstop_consumer_duplicates_total") == 3 },
		"the redelivered cancel and moves were never recognised as duplicates")
	// The same changes as new events: applied again, to the same effect.
	h.Publish(jobCancelled(t, cancelled))
	h.Publish(jobMoved(t, moved, second))
	h.Publish(jobMoved(t, away, to))
	h.beginDay(today)

	ms := h.waitAllSent()
	if len(ms) != 1 {
		t.Fatalf("%d mails, want 1: %s", len(ms), describe(ms))
	}
	body := ms[0].Text
	if !strings.Contains(body, "2024-05-01 16:00-18:00: Oil change") || strings.Contains(body, "14:00") ||
		strings.Contains(body, "APK inspection") || strings.Contains(body, "Tyres") {
		t.Errorf("the reminder should list the twice-moved job at its last time only:\n%s", body)
	}
	if n := h.Count("consumer_dead_letter", "true"); n != 0 {
		t.Errorf("%d events dead-lettered", n)
	}
	if n := h.QueryInt(`SELECT count(*) FROM jobs WHERE job_id = $1`, away.id); n != 1 {
		t.Errorf("the job moved away has %d rows, want 1 (on its new day)", n)
	}
}
