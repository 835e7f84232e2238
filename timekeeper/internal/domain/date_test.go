package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func date(t *testing.T, y int, m time.Month, d int) domain.Date {
	t.Helper()
	dt, err := domain.NewDate(y, m, d)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func TestNewDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		y     int
		m     time.Month
		d     int
		valid bool
	}{
		{2024, time.February, 29, true},
		{2023, time.February, 29, false},
		{2024, time.April, 31, false},
		{2024, time.December, 31, true},
		{2024, 13, 1, false},
		{2024, 0, 1, false},
		{2024, time.January, 0, false},
		{1, time.January, 1, true},
		{0, time.December, 31, false},
		{9999, time.December, 31, true},
		{10000, time.January, 1, false},
		{-5, time.January, 1, false},
	}
	for _, tt := range tests {
		d, err := domain.NewDate(tt.y, tt.m, tt.d)
		if tt.valid {
			if err != nil {
				t.Errorf("NewDate(%d, %d, %d): %v", tt.y, tt.m, tt.d, err)
			} else if d.Year() != tt.y || d.Month() != tt.m || d.Day() != tt.d || d.IsZero() {
				t.Errorf("NewDate(%d, %d, %d) = %v", tt.y, tt.m, tt.d, d)
			}
			continue
		}
		if !errors.Is(err, domain.ErrInvalidDate) {
			t.Errorf("NewDate(%d, %d, %d) = %v, %v; want ErrInvalidDate", tt.y, tt.m, tt.d, d, err)
		}
		if !d.IsZero() {
			t.Errorf("NewDate(%d, %d, %d) returned %v with an error", tt.y, tt.m, tt.d, d)
		}
	}
}

func TestDateArithmeticAndFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from domain.Date
		n    int
		want string
	}{
		{date(t, 2024, 2, 28), 1, "2024-02-29"},
		{date(t, 2023, 2, 28), 1, "2023-03-01"},
		{date(t, 2024, 12, 31), 1, "2025-01-01"},
		{date(t, 2025, 1, 1), -1, "2024-12-31"},
		{date(t, 2024, 3, 1), 30, "2024-03-31"},
		{date(t, 5, 7, 9), 0, "0005-07-09"},
	}
	for _, tt := range tests {
		if got := tt.from.AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%s + %d = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	if got := date(t, 2024, 12, 31).Next(); got != date(t, 2025, 1, 1) {
		t.Errorf("Next = %s", got)
	}
	if !(domain.Date{}).IsZero() {
		t.Error("zero Date is not IsZero")
	}
}

func TestDateCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b domain.Date
		want int
	}{
		{date(t, 2024, 5, 1), date(t, 2024, 5, 1), 0},
		{date(t, 2024, 5, 1), date(t, 2024, 5, 2), -1},
		{date(t, 2024, 6, 1), date(t, 2024, 5, 30), 1},
		{date(t, 2023, 12, 31), date(t, 2024, 1, 1), -1},
		{date(t, 2025, 1, 1), date(t, 2024, 12, 31), 1},
		{domain.Date{}, date(t, 1, 1, 1), -1},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := tt.a.Before(tt.b); got != (tt.want < 0) {
			t.Errorf("%s.Before(%s) = %v", tt.a, tt.b, got)
		}
		if got := tt.a.After(tt.b); got != (tt.want > 0) {
			t.Errorf("%s.After(%s) = %v", tt.a, tt.b, got)
		}
	}
}

func TestDateOf(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	nyc := mustLoad(t, "America/New_York")
	instant := time.Date(2024, 5, 1, 22, 30, 0, 0, time.UTC) // 00:30 in Amsterdam, 18:30 in New York
	tests := []struct {
		loc  *time.Location
		want string
	}{
		{ams, "2024-05-02"},
		{nyc, "2024-05-01"},
		{time.UTC, "2024-05-01"},
		{nil, "2024-05-01"}, // t's own location
	}
	for _, tt := range tests {
		if got := domain.DateOf(instant, tt.loc).String(); got != tt.want {
			t.Errorf("DateOf(%s, %v) = %s, want %s", instant, tt.loc, got, tt.want)
		}
	}
}

// TestStartIn checks the first instant of a day around daylight-saving changes,
// including zones whose clocks jump over or repeat midnight.
func TestStartIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone    string
		day     domain.Date
		wantUTC time.Time
		clock   string // the local wall clock at that instant
	}{
		{"Europe/Amsterdam", date(t, 2024, 3, 30), time.Date(2024, 3, 29, 23, 0, 0, 0, time.UTC), "00:00 CET"},
		{"Europe/Amsterdam", date(t, 2024, 3, 31), time.Date(2024, 3, 30, 23, 0, 0, 0, time.UTC), "00:00 CET"},    // 23-hour day
		{"Europe/Amsterdam", date(t, 2024, 4, 1), time.Date(2024, 3, 31, 22, 0, 0, 0, time.UTC), "00:00 CEST"},    // after it
		{"Europe/Amsterdam", date(t, 2024, 10, 27), time.Date(2024, 10, 26, 22, 0, 0, 0, time.UTC), "00:00 CEST"}, // 25-hour day
		{"Europe/Amsterdam", date(t, 2024, 10, 28), time.Date(2024, 10, 27, 23, 0, 0, 0, time.UTC), "00:00 CET"},
		// Midnight does not exist: 00:00 -04 jumps to 01:00 -03.
		{"America/Santiago", date(t, 2022, 9, 11), time.Date(2022, 9, 11, 4, 0, 0, 0, time.UTC), "01:00 -03"},
		{"America/Sao_Paulo", date(t, 2018, 11, 4), time.Date(2018, 11, 4, 3, 0, 0, 0, time.UTC), "01:00 -02"},
		// Midnight happens twice (00:01 ADT turned back to 23:01 AST): the first one.
		// East of UTC time.Date picks the second one; StartIn must not.
		{"Asia/Jerusalem", date(t, 2004, 9, 22), time.Date(2004, 9, 21, 21, 0, 0, 0, time.UTC), "00:00 IDT"},
		{"Europe/Lisbon", date(t, 1985, 9, 29), time.Date(1985, 9, 28, 23, 0, 0, 0, time.UTC), "00:00 WEST"},
		{"America/Goose_Bay", date(t, 1991, 10, 27), time.Date(1991, 10, 27, 3, 0, 0, 0, time.UTC), "00:00 ADT"},
		// 2011-12-30 never happened in Samoa: the next day that exists begins.
		{"Pacific/Apia", date(t, 2011, 12, 30), time.Date(2011, 12, 30, 10, 0, 0, 0, time.UTC), "00:00 +14"},
		{"UTC", date(t, 2024, 5, 1), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "00:00 UTC"},
	}
	for _, tt := range tests {
		loc := mustLoad(t, tt.zone)
		got := tt.day.StartIn(loc)
		if !got.Equal(tt.wantUTC) {
			t.Errorf("%s in %s starts at %s (%s), want %s", tt.day, tt.zone, got.UTC(), got, tt.wantUTC)
		}
		if c := got.In(loc).Format("15:04 MST"); c != tt.clock {
			t.Errorf("%s in %s starts at local %s, want %s", tt.day, tt.zone, c, tt.clock)
		}
		// Nothing of the day exists before its start.
		if before := domain.DateOf(got.Add(-time.Nanosecond), loc); !before.Before(tt.day) {
			t.Errorf("%s in %s: the instant before its start is already on %s", tt.day, tt.zone, before)
		}
	}
}

// TestNextMidnight checks when the next business day begins and how long the wait is,
// across Amsterdam's daylight-saving changes.
func TestNextMidnight(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	goose := mustLoad(t, "America/Goose_Bay")
	tests := []struct {
		name     string
		now      time.Time
		loc      *time.Location
		want     time.Time
		wantWait time.Duration
	}{
		{"ordinary day from midnight", time.Date(2024, 5, 1, 0, 0, 0, 0, ams), ams,
			time.Date(2024, 5, 2, 0, 0, 0, 0, ams), 24 * time.Hour},
		{"spring forward: a 23-hour day", time.Date(2024, 3, 31, 0, 0, 0, 0, ams), ams,
			time.Date(2024, 4, 1, 0, 0, 0, 0, ams), 23 * time.Hour},
		{"spring forward: after the jump", time.Date(2024, 3, 31, 3, 0, 0, 0, ams), ams,
			time.Date(2024, 4, 1, 0, 0, 0, 0, ams), 21 * time.Hour},
		{"fall back: a 25-hour day", time.Date(2024, 10, 27, 0, 0, 0, 0, ams), ams,
			time.Date(2024, 10, 28, 0, 0, 0, 0, ams), 25 * time.Hour},
		{"fall back: in the repeated hour", time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC), ams, // 02:30 CET
			time.Date(2024, 10, 28, 0, 0, 0, 0, ams), 22*time.Hour + 30*time.Minute},
		{"one nanosecond before midnight", time.Date(2024, 5, 1, 23, 59, 59, 999999999, ams), ams,
			time.Date(2024, 5, 2, 0, 0, 0, 0, ams), time.Nanosecond},
		{"the evening before spring forward", time.Date(2024, 3, 30, 23, 0, 0, 0, ams), ams,
			time.Date(2024, 3, 31, 0, 0, 0, 0, ams), time.Hour},
		{"new year", time.Date(2024, 12, 31, 12, 0, 0, 0, ams), ams,
			time.Date(2025, 1, 1, 0, 0, 0, 0, ams), 12 * time.Hour},
		{"a UTC instant is read in the zone", time.Date(2024, 5, 1, 22, 30, 0, 0, time.UTC), ams, // 00:30 CEST on 05-02
			time.Date(2024, 5, 3, 0, 0, 0, 0, ams), 23*time.Hour + 30*time.Minute},
		// Clocks turned back across midnight: at 23:30 AST (the second time 10-26 is on
		// the clocks) 10-27 began once already; the date changes again at 00:00 AST.
		{"wall clock turned back across midnight", time.Date(1991, 10, 27, 3, 30, 0, 0, time.UTC), goose,
			time.Date(1991, 10, 27, 4, 0, 0, 0, time.UTC), 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := domain.NextMidnight(tt.now, tt.loc)
			if !got.Equal(tt.want) {
				t.Errorf("NextMidnight(%s) = %s, want %s", tt.now.In(tt.loc), got.In(tt.loc), tt.want.In(tt.loc))
			}
			if w := got.Sub(tt.now); w != tt.wantWait {
				t.Errorf("wait = %s, want %s", w, tt.wantWait)
			}
			if !got.After(tt.now) {
				t.Errorf("NextMidnight(%s) = %s is not after now", tt.now, got)
			}
			if got.Location() != tt.loc {
				t.Errorf("result in %v, want %v", got.Location(), tt.loc)
			}
		})
	}
}

// TestNextMidnightEveryDay walks two years of Amsterdam days: each next midnight is
// 00:00 local time on the next date, and days last 23, 24 or 25 hours.
func TestNextMidnightEveryDay(t *testing.T) {
	t.Parallel()
	ams := mustLoad(t, "Europe/Amsterdam")
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, ams)
	lengths := map[time.Duration]int{}
	for i := 0; i < 731; i++ {
		next := domain.NextMidnight(now, ams)
		if h, m, s := next.Clock(); h != 0 || m != 0 || s != 0 {
			t.Fatalf("next midnight after %s is %s", now, next)
		}
		if want := domain.DateOf(now, ams).Next(); domain.DateOf(next, ams) != want {
			t.Fatalf("next midnight after %s is on %s, want %s", now, next, want)
		}
		lengths[next.Sub(now)]++
		// Also from the middle of the day.
		if mid := domain.NextMidnight(now.Add(13*time.Hour), ams); !mid.Equal(next) {
			t.Fatalf("from 13:00: %s, want %s", mid, next)
		}
		now = next
	}
	want := map[time.Duration]int{23 * time.Hour: 2, 24 * time.Hour: 727, 25 * time.Hour: 2}
	if len(lengths) != len(want) || lengths[23*time.Hour] != 2 || lengths[25*time.Hour] != 2 {
		t.Errorf("day lengths = %v, want %v", lengths, want)
	}
}
