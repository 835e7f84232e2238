package domain

import (
	"errors"
	"iter"
	"strings"
)

// ErrEntryNotFound is returned when no entry has the requested event id.
var ErrEntryNotFound = errors.New("audit entry not found")

// ErrInvalidEntry is wrapped by every error that rejects an event as unrecordable:
// retrying cannot help, so the consumer dead-letters it.
var ErrInvalidEntry = errors.New("invalid audit entry")

// ErrInvalidFilter is wrapped by every error that rejects a query's filter.
var ErrInvalidFilter = errors.New("invalid audit log filter")

// FieldError names one invalid field (by its camelCase name in the API) and what is
// wrong with it.
type FieldError struct {
	Field  string
	Detail string
}

// ValidationError lists every invalid field, not just the first. It wraps the sentinel
// of what was being validated (ErrInvalidEntry or ErrInvalidFilter).
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

// Unwrap returns the sentinel, so errors.Is(err, ErrInvalidEntry) works.
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
