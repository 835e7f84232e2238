// Package domain is the timekeeper's model: the business day (a calendar date in the
// garage's time zone), the calendar that remembers which business day is current, and
// the rules that every business day starts exactly once and that a timekeeper coming
// back from downtime starts only the current day (missed days are not replayed). It
// imports no adapter.
package domain

import (
	"fmt"
	"time"
)

// The range of years a business day can have: what the contract's YYYY-MM-DD expresses.
const (
	MinYear = 1
	MaxYear = 9999
)

// Date is a calendar date without a time of day or a zone: the identity of a business
// day. The zero value is no date (IsZero); Dates are comparable with ==.
type Date struct {
	year  int
	month time.Month
	day   int
}

// NewDate returns the date year-month-day. It is an error wrapping ErrInvalidDate when
// that day does not exist (2023-02-29) or the year is outside MinYear..MaxYear.
func NewDate(year int, month time.Month, day int) (Date, error) {
	if year < MinYear || year > MaxYear {
		return Date{}, fmt.Errorf("%w: year %d is outside %d..%d", ErrInvalidDate, year, MinYear, MaxYear)
	}
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if y, m, d := t.Date(); y != year || m != month || d != day {
		return Date{}, fmt.Errorf("%w: %04d-%02d-%02d does not exist", ErrInvalidDate, year, int(month), day)
	}
	return Date{year: year, month: month, day: day}, nil
}

// ParseDate parses YYYY-MM-DD; anything else is an error wrapping ErrInvalidDate.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return Date{}, fmt.Errorf("%w: %q is not YYYY-MM-DD", ErrInvalidDate, s)
	}
	return NewDate(t.Year(), t.Month(), t.Day())
}

// DateOf is the calendar date of the instant t on the wall clocks of loc (t's own
// location when loc is nil).
func DateOf(t time.Time, loc *time.Location) Date {
	if loc != nil {
		t = t.In(loc)
	}
	y, m, d := t.Date()
	return Date{year: y, month: m, day: d}
}

// Year is the date's year.
func (d Date) Year() int { return d.year }

// Month is the date's month.
func (d Date) Month() time.Month { return d.month }

// Day is the date's day of the month.
func (d Date) Day() int { return d.day }

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, the contract's date format.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.year, int(d.month), d.day) }

// AddDays returns the date n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.year, d.month, d.day+n, 0, 0, 0, 0, time.UTC), nil)
}

// Next is the day after d.
func (d Date) Next() Date { return d.AddDays(1) }

// Compare returns -1, 0 or +1 when d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.year != o.year:
		return cmp(d.year, o.year)
	case d.month != o.month:
		return cmp(int(d.month), int(o.month))
	default:
		return cmp(d.day, o.day)
	}
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is an earlier date than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later date than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// StartIn is the first instant of d on the wall clocks of loc: usually 00:00 local
// time, but daylight-saving transitions are handled:
//   - when midnight does not exist (clocks jump from 00:00 to 01:00) the day begins at
//     the transition, which the clocks show as 01:00;
//   - when midnight happens twice (clocks turned back across it) it is the first one;
//   - when d is skipped altogether (Samoa, 2011-12-30) it is the first instant of the
//     next day that exists.
func (d Date) StartIn(loc *time.Location) time.Time {
	t := time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
	// For a midnight that falls in a gap, time.Date normalises to a time on an earlier
	// day; the day then begins where that zone period ends.
	for DateOf(t, loc).Before(d) {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.After(t) {
			break
		}
		t = end
	}
	// For a repeated midnight time.Date may pick the later one; midnight in the
	// previous zone period's offset is the earlier one when it is still inside that
	// period and already on d.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, offset := start.Add(-time.Nanosecond).Zone()
		earlier := time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.FixedZone("", offset))
		if earlier.Before(start) && earlier.Before(t) && !DateOf(earlier, loc).Before(d) {
			t = earlier.In(loc)
		}
	}
	return t
}

// NextMidnight is the instant after now at which the next business day begins in loc:
// the start of the day after now's local date, computed on the calendar, so a day of
// 23 or 25 hours (a daylight-saving change) ends at its true midnight.
//
// When the clocks were turned back across midnight and now is in the repeated part of
// the previous day, the next day already began once; the answer is then the moment the
// wall clock reaches midnight again, so the result is always after now.
func NextMidnight(now time.Time, loc *time.Location) time.Time {
	next := DateOf(now, loc).Next()
	t := next.StartIn(loc)
	if t.After(now) {
		return t
	}
	_, offset := now.In(loc).Zone()
	return time.Date(next.year, next.month, next.day, 0, 0, 0, 0, time.FixedZone("", offset)).In(loc)
}
