package domain

import (
	"errors"
	"iter"
	"strings"
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

// FieldError names one invalid field (by its camelCase name in the API and events) and
// what is wrong with it.
type FieldError struct {
	Field  string
	Detail string
}

// ValidationError lists every invalid field, not just the first. It wraps the sentinel
// of what was being validated (ErrInvalidJob, ErrInvalidCustomer, ErrInvalidQuery, ...).
type ValidationError struct {
	// Of is the sentinel the error wraps.
	Of     error
	Fields []FieldError
}

// Error implements error.
func (v *ValidationError) Error() string {
	parts := make([]string, 0, len(v.Fields))
	for _, f := range v.Fields {
		parts = append(parts, f.Field+": "+f.Detail)
	}
	return v.Of.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap returns the sentinel, so errors.Is(err, ErrInvalidJob) works.
func (v *ValidationError) Unwrap() error { return v.Of }

// FieldErrors yields every invalid field with its detail, in the order they were
// added: the behaviour the HTTP port answers as a 400 listing the fields.
func (v *ValidationError) FieldErrors() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range v.Fields {
			if !yield(f.Field, f.Detail) {
				return
			}
		}
	}
}

// Add records that field is invalid.
func (v *ValidationError) Add(field, detail string) {
	v.Fields = append(v.Fields, FieldError{Field: field, Detail: detail})
}

// OrNil returns v when it holds field errors and nil otherwise.
func (v *ValidationError) OrNil() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}
