package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/notifications/internal/adapters"
	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "notifications"

var local = time.FixedZone("CEST", 2*60*60)

// fixture is the notifications tables on a fresh database.
type fixture struct {
	t    *testing.T
	pool *pgxpool.Pool
	app  application.Application
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	for _, m := range []func(context.Context, *pgxpool.Pool, string) error{adapters.Migrate, outbox.Migrate, mail.Migrate} {
		if err := m(ctx, pool, schema); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{t: t, pool: pool, app: application.New(adapters.NewReminderPostgresRepository(pool))}
}

// tx runs fn on a store bound to a new transaction and commits it when fn succeeds.
func (f *fixture) tx(fn func(s application.Store) error) error {
	return postgres.WithTx(context.Background(), f.pool, func(tx pgx.Tx) error {
		return fn(adapters.NewReminderTxStore(tx, adapters.NewReminderMailQueue(schema), schema))
	})
}

func (f *fixture) must(fn func(s application.Store) error) {
	f.t.Helper()
	if err := f.tx(fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func date(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) customer(id, email string, at time.Time) bool {
	f.t.Helper()
	var written bool
	f.must(func(s application.Store) error {
		res, err := f.app.RecordCustomer.Handle(context.Background(), s, application.RecordCustomer{
			Customer: domain.CustomerDetails{CustomerID: id, Name: id, EmailAddress: email},
			Version:  application.SourceVersion{Time: at, EventID: uuid.New()}})
		written = res.Written
		return err
	})
	return written
}

func (f *fixture) plan(jobID, customerID, day string, hour int, description string) bool {
	f.t.Helper()
	d := date(f.t, day)
	y, m, dd := d.Time().Date()
	var isNew bool
	f.must(func(s application.Store) error {
		res, err := f.app.RecordJobPlanned.Handle(context.Background(), s, application.RecordJobPlanned{Job: domain.JobDetails{
			JobID: jobID, PlanningDate: d, CustomerID: customerID, Description: description, LicenseNumber: "AB-123-C",
			Start: time.Date(y, m, dd, hour, 30, 0, 0, local), End: time.Date(y, m, dd, hour+1, 45, 0, 0, local)}})
		isNew = res.New
		return err
	})
	return isNew
}

func (f *fixture) finish(jobID, day string) {
	f.t.Helper()
	f.must(func(s application.Store) error {
		return f.app.RecordJobFinished.Handle(context.Background(), s, application.RecordJobFinished{JobID: jobID,
			PlanningDate: date(f.t, day)})
	})
}

func (f *fixture) startDay(day string) (application.StartBusinessDayResult, error) {
	var res application.StartBusinessDayResult
	err := f.tx(func(s application.Store) error {
		var err error
		res, err = f.app.StartBusinessDay.Handle(context.Background(), s, application.StartBusinessDay{Date: date(f.t, day)})
		return err
	})
	return res, err
}

func TestCustomersNewerEventWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	if !f.customer("c-1", "second@example.com", t0.Add(time.Minute)) {
		t.Fatal("first write refused")
	}
	if f.customer("c-1", "first@example.com", t0) {
		t.Error("an older event overwrote a newer one")
	}
	if !f.customer("c-1", "third@example.com", t0.Add(2*time.Minute)) {
		t.Error("a newer event was refused")
	}
	if n := f.count(`SELECT count(*) FROM customers WHERE email_address = 'third@example.com'`); n != 1 {
		t.Errorf("stored e-mail is not the newest")
	}
}

func TestJobPlanAndFinishMergeInEitherOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", time.Now())
	// finish first, then plan
	f.finish("j-1", "2024-05-01")
	if !f.plan("j-1", "c-1", "2024-05-01", 8, "APK") {
		t.Error("plan after finish not recorded as new")
	}
	// plan, then finish
	f.plan("j-2", "c-1", "2024-05-01", 9, "Oil")
	f.finish("j-2", "2024-05-01")
	f.finish("j-2", "2024-05-01")
	// the same job id on another day is another job
	f.plan("j-1", "c-1", "2024-05-02", 8, "Other day")
	// a second plan of a known job is ignored (the first wins)
	if f.plan("j-1", "c-1", "2024-05-02", 12, "Changed") {
		t.Error("a second plan of a job was recorded as new")
	}
	if n := f.count(`SELECT count(*) FROM jobs WHERE planning_date = '2024-05-01' AND planned AND finished`); n != 2 {
		t.Errorf("%d finished planned jobs on 2024-05-01, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM jobs WHERE planning_date = '2024-05-02' AND description = 'Other day'`); n != 1 {
		t.Error("the first plan of j-1 on 2024-05-02 was not kept")
	}
	res, err := f.startDay("2024-05-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reminders) != 0 {
		t.Errorf("finished jobs reminded: %v", res.Reminders[0].JobIDs())
	}
}

// TestReminderStoresMailButNoEventAndKeepsLocalTimes: reminding queues the mail and
// marks the jobs; MaintenanceReminderSent is not in the outbox until the mail is sent.
func TestReminderStoresMailButNoEventAndKeepsLocalTimes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", time.Now())
	f.plan("j-1", "c-1", "2024-05-01", 8, "APK")
	res, err := f.startDay("2024-05-01")
	if err != nil || len(res.Reminders) != 1 {
		t.Fatalf("start day: %+v %v", res, err)
	}
	var text, id string
	if err := f.pool.QueryRow(context.Background(), `SELECT message_id, text_body FROM mail_outbox`).Scan(&id, &text); err != nil {
		t.Fatal(err)
	}
	if id != "reminder.c-1.2024-05-01@pitstop.example" {
		t.Errorf("message id %q", id)
	}
	// The times are shown as planned, in the garage's offset, after a round trip
	// through storage.
	if want := "2024-05-01 08:30-09:45: APK"; !strings.Contains(text, want) {
		t.Errorf("mail body lacks %q:\n%s", want, text)
	}
	if n := f.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d outbox rows while the mail is only queued, want 0", n)
	}
	if n := f.count(`SELECT count(*) FROM jobs WHERE reminder_id IS NOT NULL`); n != 1 {
		t.Errorf("%d jobs marked reminded, want 1", n)
	}
}

// TestSentReminderIsFoundByMessageIDAndItsEventAdded: the store the mail dispatcher's
// OnSent uses finds a reminder by its mail's Message-ID (and nothing for other mails),
// and adds the event in the caller's transaction (rolled back with it).
func TestSentReminderIsFoundByMessageIDAndItsEventAdded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.customer("c-1", "one@example.com", time.Now())
	f.plan("j-2", "c-1", "2024-05-01", 13, "Oil")
	f.plan("j-1", "c-1", "2024-05-01", 8, "APK")
	if _, err := f.startDay("2024-05-01"); err != nil {
		t.Fatal(err)
	}
	const id = "reminder.c-1.2024-05-01@pitstop.example"
	sentAt := time.Date(2024, 5, 1, 9, 15, 0, 0, time.UTC)
	send := func(messageID string) (application.RecordReminderSentResult, error) {
		var res application.RecordReminderSentResult
		err := postgres.WithTx(ctx, f.pool, func(tx pgx.Tx) error {
			var err error
			res, err = f.app.RecordReminderSent.Handle(ctx, adapters.NewReminderTxStore(tx, adapters.NewReminderMailQueue(schema), schema),
				application.RecordReminderSent{MessageID: messageID, SentAt: sentAt})
			return err
		})
		return res, err
	}

	if res, err := send("invoice.2024-000001@pitstop.example"); err != nil || res.Published {
		t.Fatalf("a mail that is no reminder: %+v, %v", res, err)
	}
	if n := f.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Fatalf("%d outbox rows for a mail that is no reminder", n)
	}

	// Rolled back with the caller's transaction.
	errAbort := errors.New("marking rolled back")
	err := postgres.WithTx(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := f.app.RecordReminderSent.Handle(ctx, adapters.NewReminderTxStore(tx, adapters.NewReminderMailQueue(schema), schema),
			application.RecordReminderSent{MessageID: id, SentAt: sentAt}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) || f.count(`SELECT count(*) FROM outbox`) != 0 {
		t.Fatalf("rolled back marking: %v, %d outbox rows", err, f.count(`SELECT count(*) FROM outbox`))
	}

	res, err := send(id)
	if err != nil || !res.Published {
		t.Fatalf("sent reminder: %+v, %v", res, err)
	}
	r := res.Reminder
	if r.CustomerID != "c-1" || r.Date.String() != "2024-05-01" || r.MessageID != id ||
		strings.Join(r.JobIDs, ",") != "j-1,j-2" || r.Position == 0 || r.CreatedAt.IsZero() {
		t.Errorf("reminder found %+v", r)
	}
	var (
		typ, subject string
		at           time.Time
		payload      string
	)
	if err := f.pool.QueryRow(ctx, `SELECT event_type, subject, occurred_at, convert_from(payload, 'UTF8') FROM outbox`).
		Scan(&typ, &subject, &at, &payload); err != nil {
		t.Fatal(err)
	}
	if typ != "pitstop.notifications.MaintenanceReminderSent" || subject != "c-1" || !at.Equal(sentAt) ||
		!strings.Contains(payload, id) {
		t.Errorf("outbox row %s %s %v %s", typ, subject, at, payload)
	}
}

// TestConcurrentDayStartsRemindOnce runs several DayHasPassed of the same date at once
// (as replicas of the consumer could), each retried on failure as a redelivery would
// be: every job is reminded exactly once.
func TestConcurrentDayStartsRemindOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const customers = 5
	for i := range customers {
		c := fmt.Sprintf("c-%d", i)
		f.customer(c, c+"@example.com", time.Now())
		f.plan("j-a-"+c, c, "2024-05-01", 8, "APK")
		f.plan("j-b-"+c, c, "2024-05-01", 11, "Oil")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for attempt := 0; ; attempt++ {
				_, err := f.startDay("2024-05-01")
				if err == nil {
					return
				}
				if attempt == 20 || !(errors.Is(err, application.ErrJobAlreadyReminded) || postgres.IsUniqueViolation(err)) {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("start day: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM reminders`); n != customers {
		t.Errorf("%d reminders, want %d", n, customers)
	}
	if n := f.count(`SELECT count(*) FROM mail_outbox`); n != customers {
		t.Errorf("%d mails, want %d", n, customers)
	}
	if n := f.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d events while the mails are only queued, want 0", n)
	}
	if n := f.count(`SELECT count(*) FROM reminders WHERE cardinality(job_ids) = 2`); n != customers {
		t.Errorf("%d reminders with both jobs, want %d", n, customers)
	}
}

func TestRemindersReadWithSentAtFromTheMailOutbox(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []string{"c-1", "c-2"} {
		f.customer(c, c+"@example.com", time.Now())
		f.plan("j-"+c, c, "2024-05-01", 8, "APK")
	}
	if _, err := f.startDay("2024-05-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE mail_outbox SET sent_at = now() WHERE message_id LIKE 'reminder.c-2.%'`); err != nil {
		t.Fatal(err)
	}
	repo := adapters.NewReminderPostgresRepository(f.pool)
	all, err := repo.Reminders(ctx, application.ReminderFilter{}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].CustomerID != "c-1" || all[1].CustomerID != "c-2" || all[0].Position >= all[1].Position {
		t.Fatalf("reminders %+v", all)
	}
	if all[0].SentAt != nil || all[1].SentAt == nil {
		t.Errorf("sentAt %v / %v, want pending / sent", all[0].SentAt, all[1].SentAt)
	}
	if all[0].Date.String() != "2024-05-01" || len(all[0].JobIDs) != 1 || all[0].JobIDs[0] != "j-c-1" {
		t.Errorf("reminder %+v", all[0])
	}
	for _, tc := range []struct {
		f     application.ReminderFilter
		after int64
		want  int
	}{
		{application.ReminderFilter{CustomerID: "c-2"}, 0, 1},
		{application.ReminderFilter{Date: date(t, "2024-05-01")}, 0, 2},
		{application.ReminderFilter{Date: date(t, "2024-05-02")}, 0, 0},
		{application.ReminderFilter{}, all[0].Position, 1},
	} {
		got, err := repo.Reminders(ctx, tc.f, tc.after, 10)
		if err != nil || len(got) != tc.want {
			t.Errorf("filter %+v after %d: %d reminders (%v), want %d", tc.f, tc.after, len(got), err, tc.want)
		}
	}
}
