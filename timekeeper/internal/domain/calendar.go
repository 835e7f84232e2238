package domain

import (
	"fmt"
	"time"
)

// BusinessDay is a business day that has started: its date and the instant it began.
type BusinessDay struct {
	date      Date
	startedAt time.Time
}

// Date is the business day's calendar date.
func (b BusinessDay) Date() Date { return b.date }

// StartedAt is the instant the business day began.
func (b BusinessDay) StartedAt() time.Time { return b.startedAt }

// Equal reports whether b and o are the same day started at the same instant.
func (b BusinessDay) Equal(o BusinessDay) bool {
	return b.date == o.date && b.startedAt.Equal(o.startedAt)
}

// Calendar is the timekeeper's aggregate: it knows which business day is current and
// enforces that business days start one at a time, each once, never going back. The
// zero value is a calendar on which no business day has started yet.
type Calendar struct {
	current BusinessDay
	started bool
}

// RehydrateCalendar rebuilds a calendar whose current day is date, started at
// startedAt, from storage (a zero date means no day has started yet).
func RehydrateCalendar(date Date, startedAt time.Time) Calendar {
	if date.IsZero() {
		return Calendar{}
	}
	return Calendar{current: BusinessDay{date: date, startedAt: startedAt}, started: true}
}

// Current is the current business day; ok is false when none has started yet.
func (c Calendar) Current() (day BusinessDay, ok bool) { return c.current, c.started }

// StartDay begins the business day date at the instant at. The date must be after the
// current day (an error wrapping ErrDayNotAfterCurrent otherwise) and a valid business
// date (ErrDateOutOfRange). On error the calendar is unchanged.
func (c *Calendar) StartDay(date Date, at time.Time) (BusinessDay, error) {
	if date.Year() < MinYear || date.Year() > MaxYear {
		return BusinessDay{}, fmt.Errorf("%w: %s", ErrDateOutOfRange, date)
	}
	if c.started && !date.After(c.current.date) {
		return BusinessDay{}, fmt.Errorf("start %s: %w (current day %s)", date, ErrDayNotAfterCurrent, c.current.date)
	}
	c.current = BusinessDay{date: date, startedAt: at}
	c.started = true
	return c.current, nil
}

// CatchUp makes today the current business day unless it (or a later day) already is:
// after downtime the current day starts once and the days missed in between are not
// replayed one by one. started reports whether today began now; when false, day is the
// unchanged current day.
func (c *Calendar) CatchUp(today Date, at time.Time) (day BusinessDay, started bool, err error) {
	if c.started && !today.After(c.current.date) {
		return c.current, false, nil
	}
	day, err = c.StartDay(today, at)
	if err != nil {
		return BusinessDay{}, false, err
	}
	return day, true, nil
}

// StartNextDay begins the day after the current business day at the instant at,
// whatever the clock says (for demos and tests), or today when no day has started yet.
func (c *Calendar) StartNextDay(today Date, at time.Time) (BusinessDay, error) {
	next := today
	if c.started {
		next = c.current.date.Next()
	}
	return c.StartDay(next, at)
}
