package application_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/notificationevents"
)

var (
	ctx   = context.Background()
	clock = time.Date(2024, 5, 1, 0, 0, 1, 0, time.UTC)
	local = time.FixedZone("CEST", 2*60*60)
)

func day(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fixture drives the use cases on one memory store.
type fixture struct {
	t     *testing.T
	app   application.Application
	store *memoryStore
}

func newFixture(t *testing.T) *fixture {
	return &fixture{t: t, app: application.New(nil), store: newMemoryStore()}
}

func (f *fixture) customer(id, email string, at time.Time) application.RecordCustomerResult {
	f.t.Helper()
	res, err := f.app.RecordCustomer.Handle(ctx, f.store, application.RecordCustomer{
		Customer: domain.CustomerDetails{CustomerID: id, Name: "Name of " + id, EmailAddress: email},
		Version:  application.SourceVersion{Time: at, EventID: uuid.New()}})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *fixture) plan(jobID, customerID, date string, hour int) application.RecordJobPlannedResult {
	f.t.Helper()
	d := day(f.t, date)
	y, m, dd := d.Time().Date()
	res, err := f.app.RecordJobPlanned.Handle(ctx, f.store, application.RecordJobPlanned{Job: domain.JobDetails{
		JobID: jobID, PlanningDate: d, CustomerID: customerID, Description: "job " + jobID, LicenseNumber: "AB-123-C",
		Start: time.Date(y, m, dd, hour, 0, 0, 0, local), End: time.Date(y, m, dd, hour+1, 0, 0, 0, local)}})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *fixture) finish(jobID, date string) {
	f.t.Helper()
	if err := f.app.RecordJobFinished.Handle(ctx, f.store, application.RecordJobFinished{JobID: jobID,
		PlanningDate: day(f.t, date)}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) startDay(date string) application.StartBusinessDayResult {
	f.t.Helper()
	res, err := f.app.StartBusinessDay.Handle(ctx, f.store, application.StartBusinessDay{Date: day(f.t, date)})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// sent summarises the store's reminders as "customer:job,job".
func (f *fixture) sent() []string {
	out := []string{}
	for _, r := range f.store.reminders {
		out = append(out, r.Customer().ID()+":"+strings.Join(r.JobIDs(), ","))
	}
	return out
}

func TestStartBusinessDayRemindsEachCustomerOnceOfAllDueJobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.customer("c-2", "two@example.com", clock)
	f.customer("c-3", "three@example.com", clock)
	f.plan("j-1b", "c-1", "2024-05-01", 13)
	f.plan("j-1a", "c-1", "2024-05-01", 8)
	f.plan("j-2", "c-2", "2024-05-01", 9)
	f.plan("j-2-finished", "c-2", "2024-05-01", 10)
	f.finish("j-2-finished", "2024-05-01")
	f.plan("j-3-tomorrow", "c-3", "2024-05-02", 8)
	f.plan("j-1-yesterday", "c-1", "2024-04-30", 8)

	res := f.startDay("2024-05-01")
	if res.Stale || len(res.Reminders) != 2 || len(res.Waiting) != 0 {
		t.Fatalf("result %+v, want two reminders", res)
	}
	if got, want := f.sent(), []string{"c-1:j-1a,j-1b", "c-2:j-2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reminders %v, want %v", got, want)
	}
	if len(f.store.mails) != 2 || f.store.mails[0].To[0] != "one@example.com" || f.store.mails[1].To[0] != "two@example.com" {
		t.Errorf("mails %+v", f.store.mails)
	}
	// Queuing the mails publishes nothing: MaintenanceReminderSent waits for the mail
	// server (RecordReminderSent).
	if len(f.store.events) != 0 {
		t.Errorf("%d events published when the mails were only queued, want 0", len(f.store.events))
	}

	// The same day again (a replayed DayHasPassed with a new id): nothing new.
	if res := f.startDay("2024-05-01"); len(res.Reminders) != 0 || res.Stale {
		t.Errorf("second start of the day: %+v", res)
	}
	if len(f.store.reminders) != 2 || len(f.store.mails) != 2 || len(f.store.events) != 0 {
		t.Errorf("the day's second start reminded again: %v", f.sent())
	}
}

// TestASentReminderPublishesMaintenanceReminderSentAtItsSentTime: when the mail server
// accepted a reminder's mail, its event carries the contract's fields and the time the
// mail was sent; a mail that is no reminder publishes nothing.
func TestASentReminderPublishesMaintenanceReminderSentAtItsSentTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.plan("j-1b", "c-1", "2024-05-01", 13)
	f.plan("j-1a", "c-1", "2024-05-01", 8)
	f.startDay("2024-05-01")

	sentAt := clock.Add(3 * time.Hour) // the mail server was down for a while
	res, err := f.app.RecordReminderSent.Handle(ctx, f.store, application.RecordReminderSent{
		MessageID: "reminder.c-1.2024-05-01@pitstop.example", SentAt: sentAt})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Published || res.Reminder.CustomerID != "c-1" {
		t.Errorf("result %+v, want the reminder published", res)
	}
	if len(f.store.events) != 1 {
		t.Fatalf("%d events, want 1", len(f.store.events))
	}
	ev := f.store.events[0]
	var got notificationevents.MaintenanceReminderSent
	if err := json.Unmarshal(ev.Data, &got); err != nil {
		t.Fatal(err)
	}
	want := notificationevents.MaintenanceReminderSent{CustomerID: "c-1", Date: "2024-05-01", JobIDs: []string{"j-1a", "j-1b"},
		MessageID: "reminder.c-1.2024-05-01@pitstop.example"}
	if !reflect.DeepEqual(got, want) || ev.Type != notificationevents.SubjectMaintenanceReminderSent ||
		ev.Source != notificationevents.Source || ev.Subject != "c-1" || !ev.Time.Equal(sentAt) {
		t.Errorf("event %+v %+v, want %+v at %v", ev, got, want, sentAt)
	}

	res, err = f.app.RecordReminderSent.Handle(ctx, f.store, application.RecordReminderSent{
		MessageID: "invoice.2024-000001@pitstop.example", SentAt: sentAt})
	if err != nil || res.Published || len(f.store.events) != 1 {
		t.Errorf("a mail that is no reminder: %+v, %v, %d events; want nothing published", res, err, len(f.store.events))
	}
	for _, cmd := range []application.RecordReminderSent{{SentAt: sentAt}, {MessageID: want.MessageID}} {
		if _, err := f.app.RecordReminderSent.Handle(ctx, f.store, cmd); err == nil {
			t.Errorf("%+v accepted", cmd)
		}
	}
	if len(f.store.events) != 1 {
		t.Errorf("%d events after rejected commands, want 1", len(f.store.events))
	}
}

func TestStartBusinessDayWithoutJobsSendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	if res := f.startDay("2024-05-01"); len(res.Reminders) != 0 || len(f.store.mails) != 0 {
		t.Errorf("reminded %+v without jobs", res)
	}
}

func TestFinishBeforePlanIsNeverReminded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.finish("j-1", "2024-05-01")
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.startDay("2024-05-01")
	if got := f.sent(); len(got) != 0 {
		t.Errorf("finished job reminded: %v", got)
	}
}

func TestAStaleDayRemindsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.startDay("2024-05-02")
	if res := f.startDay("2024-05-01"); !res.Stale || len(res.Reminders) != 0 {
		t.Errorf("late DayHasPassed of an older day: %+v, want stale and no reminders", res)
	}
}

func TestCustomerArrivingLateOnTheSameDayGetsTheWaitingReminder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.plan("j-2", "c-1", "2024-05-01", 10)
	res := f.startDay("2024-05-01")
	if len(res.Reminders) != 0 || !reflect.DeepEqual(res.Waiting, []string{"j-1", "j-2"}) {
		t.Fatalf("start of day %+v, want j-1 and j-2 waiting", res)
	}
	cres := f.customer("c-1", "one@example.com", clock)
	if len(cres.Reminded.Reminders) != 1 {
		t.Fatalf("customer arrival reminded %+v, want one reminder", cres.Reminded)
	}
	if got, want := f.sent(), []string{"c-1:j-1,j-2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reminders %v, want %v", got, want)
	}
	// An update of the customer reminds nothing more.
	if cres := f.customer("c-1", "new@example.com", clock.Add(time.Hour)); !cres.Written || len(cres.Reminded.Reminders) != 0 {
		t.Errorf("customer update: %+v", cres)
	}
}

func TestCustomerArrivingAfterTheDayIsOverRemindsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.startDay("2024-05-01")
	f.startDay("2024-05-02")
	if res := f.customer("c-1", "one@example.com", clock); len(res.Reminded.Reminders) != 0 {
		t.Errorf("reminded of a day that is over: %+v", res.Reminded)
	}
}

func TestJobPlannedDuringTheCurrentDayIsRemindedInItsOwnMail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.startDay("2024-05-01")
	res := f.plan("j-2", "c-1", "2024-05-01", 14)
	if !res.New || len(res.Reminded.Reminders) != 1 {
		t.Fatalf("late plan %+v, want one reminder", res)
	}
	if got, want := f.sent(), []string{"c-1:j-1", "c-1:j-2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reminders %v, want %v", got, want)
	}
	if ids := []string{f.store.mails[0].ID, f.store.mails[1].ID}; ids[0] == ids[1] ||
		ids[1] != "reminder.c-1.2024-05-01.2@pitstop.example" {
		t.Errorf("message ids %v", ids)
	}
	// A job planned for another day than the current one waits for its day.
	if res := f.plan("j-3", "c-1", "2024-05-03", 8); len(res.Reminded.Reminders) != 0 {
		t.Errorf("job of a later day reminded at once: %+v", res)
	}
	// The same plan again changes nothing.
	if res := f.plan("j-2", "c-1", "2024-05-01", 14); res.New || len(res.Reminded.Reminders) != 0 {
		t.Errorf("plan again: %+v", res)
	}
}

func TestOlderCustomerDataNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "new@example.com", clock.Add(time.Hour))
	if res := f.customer("c-1", "old@example.com", clock); res.Written {
		t.Error("older data written")
	}
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.startDay("2024-05-01")
	if len(f.store.mails) != 1 || f.store.mails[0].To[0] != "new@example.com" {
		t.Errorf("mails %+v, want one to the newer address", f.store.mails)
	}
}

func TestUnusableEventDataIsRejected(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.app.RecordCustomer.Handle(ctx, f.store, application.RecordCustomer{
		Customer: domain.CustomerDetails{CustomerID: "c-1", EmailAddress: "not an address"}})
	if !errors.Is(err, domain.ErrInvalidCustomer) {
		t.Errorf("bad e-mail: %v", err)
	}
	_, err = f.app.RecordJobPlanned.Handle(ctx, f.store, application.RecordJobPlanned{Job: domain.JobDetails{JobID: "j"}})
	if !errors.Is(err, domain.ErrInvalidJob) {
		t.Errorf("bad job: %v", err)
	}
	err = f.app.RecordJobFinished.Handle(ctx, f.store, application.RecordJobFinished{JobID: "j\x00"})
	if !errors.Is(err, domain.ErrInvalidJob) {
		t.Errorf("bad finish: %v", err)
	}
	_, err = f.app.StartBusinessDay.Handle(ctx, f.store, application.StartBusinessDay{})
	if !errors.Is(err, domain.ErrInvalidDate) {
		t.Errorf("no date: %v", err)
	}
	if len(f.store.customers)+len(f.store.jobs)+len(f.store.days) != 0 {
		t.Error("rejected data was stored")
	}
}
