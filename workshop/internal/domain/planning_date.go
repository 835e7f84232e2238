package domain

import "time"

// DateLayout is the layout of a planning date (and of a planning's id): YYYY-MM-DD.
const DateLayout = "2006-01-02"

// PlanningDate is the calendar day of a workshop planning; it is also the planning's id.
// The zero value is not a valid date.
type PlanningDate struct {
	s string
}

// ParsePlanningDate parses a YYYY-MM-DD date; anything else (2024-13-45, "yesterday",
// 2024-1-5) is an *InvalidValueError for field "date".
func ParsePlanningDate(s string) (PlanningDate, error) {
	if len(s) != len(DateLayout) {
		return PlanningDate{}, invalid("date", "must be a date formatted YYYY-MM-DD")
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return PlanningDate{}, invalid("date", "must be a valid calendar date formatted YYYY-MM-DD")
	}
	return PlanningDate{s: s}, nil
}

// String returns the date as YYYY-MM-DD.
func (d PlanningDate) String() string { return d.s }

// IsZero reports whether d is the zero value.
func (d PlanningDate) IsZero() bool { return d.s == "" }

// Contains reports whether t falls on this date, evaluated in t's own offset
// (2024-05-01T23:30:00+02:00 is on 2024-05-01 even though it is 21:30 UTC).
func (d PlanningDate) Contains(t time.Time) bool { return t.Format(DateLayout) == d.s }
