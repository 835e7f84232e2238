package application_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
)

func (f *fixture) cancel(jobID, date string) application.JobChange {
	f.t.Helper()
	ch, err := f.app.RecordJobCancelled.Handle(ctx, f.store, application.RecordJobCancelled{JobID: jobID,
		PlanningDate: day(f.t, date)})
	if err != nil {
		f.t.Fatal(err)
	}
	return ch
}

func (f *fixture) move(jobID, date, to string, hour int) application.RecordJobMovedResult {
	f.t.Helper()
	d := day(f.t, to)
	y, m, dd := d.Time().Date()
	res, err := f.app.RecordJobMoved.Handle(ctx, f.store, application.RecordJobMoved{JobID: jobID,
		PlanningDate: day(f.t, date), ToPlanningDate: d,
		Start: time.Date(y, m, dd, hour, 0, 0, 0, local), End: time.Date(y, m, dd, hour+1, 0, 0, 0, local)})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// TestCancelAndMoveBeforeTheDay: a cancelled job is left out; a job moved within its
// day is reminded at its new time; a job moved away is forgotten on its old day and
// reminded on its new day from its new plan.
func TestCancelAndMoveBeforeTheDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.plan("j-cancelled", "c-1", "2024-05-01", 8)
	f.plan("j-within", "c-1", "2024-05-01", 9)
	f.plan("j-away", "c-1", "2024-05-01", 10)
	if ch := f.cancel("j-cancelled", "2024-05-01"); !ch.Planned || ch.Reminded {
		t.Errorf("cancel found %+v, want a planned, unreminded job", ch)
	}
	if res := f.move("j-within", "2024-05-01", "2024-05-01", 15); !res.WithinDay || !res.Planned || res.Reminded {
		t.Errorf("move within the day: %+v", res)
	}
	if res := f.move("j-away", "2024-05-01", "2024-05-02", 11); res.WithinDay || !res.Planned {
		t.Errorf("move away: %+v", res)
	}
	f.plan("j-away", "c-1", "2024-05-02", 11)

	f.startDay("2024-05-01")
	if got, want := f.sent(), []string{"c-1:j-within"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("reminders %v, want %v", got, want)
	}
	if body := f.store.mails[0].Text; !strings.Contains(body, "2024-05-01 15:00-16:00") {
		t.Errorf("the reminder lacks the new time:\n%s", body)
	}
	f.startDay("2024-05-02")
	if got, want := f.sent(), []string{"c-1:j-within", "c-1:j-away"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reminders %v, want %v", got, want)
	}
}

// TestCancelAndMoveAfterTheReminder: the changes are reported as of a reminded job
// and remind nothing again.
func TestCancelAndMoveAfterTheReminder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.customer("c-1", "one@example.com", clock)
	f.plan("j-1", "c-1", "2024-05-01", 8)
	f.plan("j-2", "c-1", "2024-05-01", 9)
	f.plan("j-3", "c-1", "2024-05-01", 10)
	f.startDay("2024-05-01")
	if ch := f.cancel("j-1", "2024-05-01"); !ch.Reminded {
		t.Errorf("cancel of a reminded job: %+v", ch)
	}
	if res := f.move("j-2", "2024-05-01", "2024-05-01", 15); !res.Reminded {
		t.Errorf("move of a reminded job: %+v", res)
	}
	if res := f.move("j-3", "2024-05-01", "2024-05-03", 15); !res.Reminded {
		t.Errorf("move away of a reminded job: %+v", res)
	}
	// A customer update reminds the customer's due jobs of the day: there are none.
	f.customer("c-1", "new@example.com", clock.Add(time.Hour))
	if got := f.sent(); len(got) != 1 {
		t.Errorf("reminders %v, want the day's first only", got)
	}
}

// TestMoveOfAnUnknownJobAndBadMoves: a move of a job whose plan is unknown changes
// nothing; a move without a day, or within the day without proper times, is invalid.
func TestMoveOfAnUnknownJobAndBadMoves(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if res := f.move("nobody", "2024-05-01", "2024-05-01", 8); res.Planned {
		t.Errorf("move of an unknown job: %+v", res)
	}
	at := time.Date(2024, 5, 1, 8, 0, 0, 0, local)
	for _, cmd := range []application.RecordJobMoved{
		{JobID: "j", PlanningDate: day(t, "2024-05-01")},
		{JobID: "j", PlanningDate: day(t, "2024-05-01"), ToPlanningDate: day(t, "2024-05-01"), Start: at, End: at},
		{PlanningDate: day(t, "2024-05-01"), ToPlanningDate: day(t, "2024-05-02")},
	} {
		if _, err := f.app.RecordJobMoved.Handle(ctx, f.store, cmd); !errors.Is(err, domain.ErrInvalidJob) {
			t.Errorf("%+v: error %v, want an invalid job", cmd, err)
		}
	}
	if _, err := f.app.RecordJobCancelled.Handle(ctx, f.store, application.RecordJobCancelled{JobID: "j"}); !errors.Is(err, domain.ErrInvalidJob) {
		t.Errorf("cancel without a date: %v", err)
	}
}
