package domain

import (
	"errors"

	"github.com/pitstop/pitstop/shared-go/validation"
)

// ErrInvoiceNotFound is returned when no invoice has the requested id.
var ErrInvoiceNotFound = errors.New("invoice not found")

// ErrInvalidInvoice is wrapped by every error that rejects the data of an invoice (no
// jobs, a job of another customer, a job billed twice, ...). It signals a bug or
// corrupt input: retrying cannot help.
var ErrInvalidInvoice = errors.New("invalid invoice")

// ErrInvalidJob is wrapped by every error that rejects the data of a job taken from
// the workshop's events (an empty id, an end before the start, unstorable text).
var ErrInvalidJob = errors.New("invalid maintenance job")

// ErrInvalidCustomer is wrapped by every error that rejects the data of a customer
// taken from the customers context's events.
var ErrInvalidCustomer = errors.New("invalid customer")

// ErrInvalidDate is wrapped when a calendar date is not a valid YYYY-MM-DD date.
var ErrInvalidDate = errors.New("invalid date")

// ErrNegativeDuration is returned when an amount is asked for a negative duration.
var ErrNegativeDuration = errors.New("duration must not be negative")

// ErrAmountOverflow is returned when an amount does not fit in int64 cents.
var ErrAmountOverflow = errors.New("amount out of range")

// ErrCurrencyMismatch is returned when amounts in different currencies are added.
var ErrCurrencyMismatch = errors.New("currencies differ")

// ErrInvalidQuery is wrapped by every error that rejects a query's parameters.
var ErrInvalidQuery = errors.New("invalid invoice query")

// ValidationError lists every invalid field, not just the first, and wraps the sentinel
// of what was being validated (ErrInvalidJob, ErrInvalidCustomer, ErrInvalidQuery, ...).
type ValidationError = validation.Error
