package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// TestJobChangesReportTheJobBefore: cancel, reschedule and forget report what the job
// was before them (planned, reminded), change what they should and are idempotent.
func TestJobChangesReportTheJobBefore(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	key := func(id string) domain.JobKey {
		k, err := domain.NewJobKey(date(t, "2024-05-01"), id)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	change := func(fn func(s application.Store) (application.JobChange, error)) application.JobChange {
		t.Helper()
		var ch application.JobChange
		f.must(func(s application.Store) (err error) {
			ch, err = fn(s)
			return err
		})
		return ch
	}
	f.customer("c-1", "one@example.com", time.Now())
	f.plan("reminded", "c-1", "2024-05-01", 8, "APK")
	if _, err := f.startDay("2024-05-01"); err != nil {
		t.Fatal(err)
	}
	f.plan("open", "c-1", "2024-05-02", 8, "Oil")

	cancel := func(id string) func(application.Store) (application.JobChange, error) {
		return func(s application.Store) (application.JobChange, error) { return s.RecordJobCancel(ctx, key(id)) }
	}
	if ch := change(cancel("reminded")); ch != (application.JobChange{Planned: true, Reminded: true}) {
		t.Errorf("cancel of the reminded job: %+v", ch)
	}
	if ch := change(cancel("reminded")); ch != (application.JobChange{Planned: true, Reminded: true}) {
		t.Errorf("second cancel: %+v", ch)
	}
	if ch := change(cancel("unknown")); ch != (application.JobChange{}) {
		t.Errorf("cancel of an unknown job: %+v", ch)
	}
	if n := f.count(`SELECT count(*) FROM jobs WHERE job_id = 'unknown' AND cancelled AND NOT planned`); n != 1 {
		t.Errorf("the cancel of an unknown job left no cancelled row")
	}

	at := time.Date(2024, 5, 1, 15, 0, 0, 0, local)
	if ch := change(func(s application.Store) (application.JobChange, error) {
		return s.RescheduleJob(ctx, key("reminded"), at, at.Add(time.Hour))
	}); ch != (application.JobChange{Planned: true, Reminded: true}) {
		t.Errorf("reschedule of the reminded job: %+v", ch)
	}
	if n := f.count(`SELECT count(*) FROM jobs WHERE job_id = 'reminded' AND start_time = '2024-05-01T15:00:00+02:00'
		AND end_time = '2024-05-01T16:00:00+02:00' AND reminder_id IS NOT NULL`); n != 1 {
		t.Errorf("rescheduled times not stored (or the reminder mark lost)")
	}
	if ch := change(func(s application.Store) (application.JobChange, error) {
		return s.RescheduleJob(ctx, key("unknown"), at, at.Add(time.Hour))
	}); ch != (application.JobChange{}) {
		t.Errorf("reschedule of a job without a plan: %+v", ch)
	}

	forget := func(d, id string) func(application.Store) (application.JobChange, error) {
		return func(s application.Store) (application.JobChange, error) {
			k, err := domain.NewJobKey(date(t, d), id)
			if err != nil {
				return application.JobChange{}, err
			}
			return s.ForgetJob(ctx, k)
		}
	}
	if ch := change(forget("2024-05-02", "open")); ch != (application.JobChange{Planned: true}) {
		t.Errorf("forget the open job: %+v", ch)
	}
	if ch := change(forget("2024-05-02", "open")); ch != (application.JobChange{}) {
		t.Errorf("forget it again: %+v", ch)
	}
	if n := f.count(`SELECT count(*) FROM jobs WHERE job_id = 'open'`); n != 0 {
		t.Errorf("the forgotten job is still there")
	}
}
