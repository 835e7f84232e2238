package domain

import (
	"errors"
	"iter"
	"strings"
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

// FieldError names one invalid field (by its camelCase name in the events and the API)
// and what is wrong with it.
type FieldError struct {
	Field  string
	Detail string
}

// ValidationError lists every invalid field, not just the first. It wraps the sentinel
// of what was being validated (ErrInvalidCustomer, ErrInvalidJob, ErrInvalidQuery).
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
