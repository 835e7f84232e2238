package domain

import "time"

// Timeslot is a half-open interval [start, end) with start strictly before end. Two
// slots that only touch (08:00-10:00 and 10:00-12:00) do not overlap.
type Timeslot struct {
	start, end time.Time
}

// NewTimeslot returns the slot [start, end); unless start is before end it fails with an
// *InvalidValueError for field "end" that matches ErrInvalidTimeslot and ErrInvalidValue.
func NewTimeslot(start, end time.Time) (Timeslot, error) {
	if !start.Before(end) {
		return Timeslot{}, &InvalidValueError{Field: "end", Detail: "must be after the start", Cause: ErrInvalidTimeslot}
	}
	return Timeslot{start: start, end: end}, nil
}

// Start is the first instant of the slot.
func (s Timeslot) Start() time.Time { return s.start }

// End is the instant the slot ends (exclusive).
func (s Timeslot) End() time.Time { return s.end }

// Duration is End - Start.
func (s Timeslot) Duration() time.Duration { return s.end.Sub(s.start) }

// Overlaps reports whether the two slots share an instant; touching slots do not.
func (s Timeslot) Overlaps(o Timeslot) bool {
	return s.start.Before(o.end) && o.start.Before(s.end)
}

// Equal reports whether both slots cover the same instants (offsets may differ).
func (s Timeslot) Equal(o Timeslot) bool {
	return s.start.Equal(o.start) && s.end.Equal(o.end)
}
