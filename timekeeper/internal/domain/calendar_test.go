package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

func TestCalendarCatchUp(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	stored := date(t, 2024, 5, 2)
	tests := []struct {
		name        string
		cal         domain.Calendar
		today       domain.Date
		wantStarted bool
		wantCurrent domain.Date
	}{
		{"first start: today", domain.Calendar{}, date(t, 2024, 5, 2), true, date(t, 2024, 5, 2)},
		{"restart on the same day: nothing", domain.RehydrateCalendar(stored, at), stored, false, stored},
		{"restart after midnight: the new day", domain.RehydrateCalendar(stored, at), stored.Next(), true, stored.Next()},
		{"three days of downtime: only today", domain.RehydrateCalendar(stored, at), stored.AddDays(4), true, stored.AddDays(4)},
		{"a later day already started (POST /days): nothing", domain.RehydrateCalendar(stored.AddDays(3), at), stored, false, stored.AddDays(3)},
		{"clock behind the calendar: never back", domain.RehydrateCalendar(stored, at), stored.AddDays(-1), false, stored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cal := tt.cal
			day, started, err := cal.CatchUp(tt.today, at)
			if err != nil {
				t.Fatal(err)
			}
			if started != tt.wantStarted {
				t.Errorf("started = %v, want %v", started, tt.wantStarted)
			}
			cur, ok := cal.Current()
			if !ok || cur.Date() != tt.wantCurrent || day.Date() != tt.wantCurrent {
				t.Errorf("current = %v (%v), returned %v; want %s", cur.Date(), ok, day.Date(), tt.wantCurrent)
			}
			if started && !cur.StartedAt().Equal(at) {
				t.Errorf("startedAt = %s, want %s", cur.StartedAt(), at)
			}
			if !day.Equal(cur) {
				t.Errorf("returned day %v is not the current day %v", day, cur)
			}
			// Catching up twice with the same clock starts nothing more.
			if _, again, err := cal.CatchUp(tt.today, at.Add(time.Second)); err != nil || again {
				t.Errorf("second CatchUp started = %v, err %v", again, err)
			}
		})
	}
}

func TestCalendarStartNextDay(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	today := date(t, 2024, 5, 6)

	var cal domain.Calendar
	if _, ok := cal.Current(); ok {
		t.Fatal("zero calendar has a current day")
	}
	day, err := cal.StartNextDay(today, at)
	if err != nil || day.Date() != today {
		t.Fatalf("first StartNextDay = %v, %v; want today %s", day.Date(), err, today)
	}
	for i := 1; i <= 3; i++ {
		day, err := cal.StartNextDay(today, at.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if want := today.AddDays(i); day.Date() != want {
			t.Errorf("StartNextDay #%d = %s, want %s (the clock does not matter)", i, day.Date(), want)
		}
	}
}

func TestCalendarStartDayRules(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	stored := date(t, 2024, 5, 6)
	last := date(t, domain.MaxYear, 12, 31)
	tests := []struct {
		name    string
		cal     domain.Calendar
		day     domain.Date
		wantErr error
	}{
		{"same day twice", domain.RehydrateCalendar(stored, at), stored, domain.ErrDayNotAfterCurrent},
		{"an earlier day", domain.RehydrateCalendar(stored, at), stored.AddDays(-1), domain.ErrDayNotAfterCurrent},
		{"beyond year 9999", domain.RehydrateCalendar(last, at), last.Next(), domain.ErrDateOutOfRange},
		{"the zero date", domain.Calendar{}, domain.Date{}, domain.ErrDateOutOfRange},
		{"a later day", domain.RehydrateCalendar(stored, at), stored.AddDays(2), nil},
		{"the last expressible day", domain.RehydrateCalendar(last.AddDays(-1), at), last, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cal := tt.cal
			before, hadDay := cal.Current()
			day, err := cal.StartDay(tt.day, at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("StartDay(%s) = %v, want %v", tt.day, err, tt.wantErr)
			}
			cur, ok := cal.Current()
			if tt.wantErr != nil {
				if ok != hadDay || !cur.Equal(before) {
					t.Errorf("a rejected start changed the calendar to %v", cur.Date())
				}
				return
			}
			if !ok || cur.Date() != tt.day || !day.Equal(cur) {
				t.Errorf("current = %v, want %s", cur.Date(), tt.day)
			}
		})
	}
	// The last expressible day has no next one.
	cal := domain.RehydrateCalendar(last, at)
	if _, err := cal.StartNextDay(last, at); !errors.Is(err, domain.ErrDateOutOfRange) {
		t.Errorf("StartNextDay after %s = %v", last, err)
	}
	if _, _, err := (&domain.Calendar{}).CatchUp(last.Next(), at); !errors.Is(err, domain.ErrDateOutOfRange) {
		t.Errorf("CatchUp(%s) = %v", last.Next(), err)
	}
}

func TestRehydrateCalendar(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cal := domain.RehydrateCalendar(date(t, 2024, 5, 6), at)
	cur, ok := cal.Current()
	if !ok || cur.Date() != date(t, 2024, 5, 6) || !cur.StartedAt().Equal(at) {
		t.Errorf("rehydrated %v %v", cur, ok)
	}
	if _, ok := domain.RehydrateCalendar(domain.Date{}, time.Time{}).Current(); ok {
		t.Error("a calendar rehydrated without a date has a current day")
	}
}
