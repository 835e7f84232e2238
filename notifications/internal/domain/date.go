package domain

import (
	"fmt"
	"time"
)

// DateLayout is the layout of a calendar date in events, the API and storage.
const DateLayout = "2006-01-02"

// Date is a calendar day (no time, no zone). The zero value is not a valid date; use
// ParseDate or DateOf.
type Date struct {
	t time.Time // midnight UTC
}

// ParseDate parses a YYYY-MM-DD date; anything else wraps ErrInvalidDate.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: %q is not a YYYY-MM-DD date", ErrInvalidDate, s)
	}
	return Date{t: t}, nil
}

// DateOf is the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }

// Time is midnight UTC of the date (what a Postgres date column holds).
func (d Date) Time() time.Time { return d.t }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.t.Format(DateLayout) }
