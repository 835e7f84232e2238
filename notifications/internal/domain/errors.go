package domain

import (
	"errors"

	"github.com/pitstop/pitstop/shared-go/validation"
)

// ErrInvalidCustomer is wrapped by every error that rejects a customer's data taken
// from the customers context's events (no id, no usable e-mail address, unstorable text).
var ErrInvalidCustomer = errors.New("invalid customer")

// ErrInvalidJob is wrapped by every error that rejects a maintenance job taken from the
// workshop's events (no id, no customer, an end not after the start, unstorable text).
var ErrInvalidJob = errors.New("invalid maintenance job")

// ErrInvalidDate is wrapped when a calendar date is not a valid YYYY-MM-DD date.
var ErrInvalidDate = errors.New("invalid date")

// ErrInvalidReminder is wrapped by every error that rejects a reminder: no jobs, a job
// of another customer or another day, a job listed twice. It signals a bug: retrying
// cannot help.
var ErrInvalidReminder = errors.New("invalid reminder")

// ErrInvalidQuery is wrapped by every error that rejects a query's parameters.
var ErrInvalidQuery = errors.New("invalid reminder query")

// ValidationError lists every invalid field, not just the first, and wraps the sentinel
// of what was being validated (ErrInvalidCustomer, ErrInvalidJob, ErrInvalidQuery).
type ValidationError = validation.Error
