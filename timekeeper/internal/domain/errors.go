package domain

import "errors"

// ErrInvalidDate is wrapped by NewDate's error for a day that does not exist or a year
// outside MinYear..MaxYear.
var ErrInvalidDate = errors.New("invalid date")

// ErrNoBusinessDay is returned when the current business day is asked for before any
// business day has started.
var ErrNoBusinessDay = errors.New("no business day has started yet")

// ErrDayNotAfterCurrent is wrapped when a business day that is not after the current
// one would start: every business day starts once, and the calendar never goes back.
var ErrDayNotAfterCurrent = errors.New("a business day can only start after the current one")

// ErrDateOutOfRange is wrapped when the next business day would have a year beyond
// MaxYear, which the contract's YYYY-MM-DD cannot express.
var ErrDateOutOfRange = errors.New("business day out of range")

// ErrDayMovedOn is returned by a conditional start when the current business day is no
// longer the one the caller expected (someone else started a day meanwhile).
var ErrDayMovedOn = errors.New("the business day has moved on")
