// Package validation is the one validation error of Pitstop: it lists every invalid
// field of a command, an event or a query, not just the first, and wraps the sentinel
// of what was being validated. It imports the standard library only, so domain
// packages use it freely; the HTTP ports answer it as a 400 listing the fields through
// its FieldErrors behaviour (see shared-go/problem's Translator).
package validation

import (
	"errors"
	"iter"
	"strings"
)

// FieldError names one invalid field (by its camelCase name in the API and the events)
// and what is wrong with it. Its JSON form is an entry of a problem document's errors.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error lists every invalid field, in the order they were added, and wraps Of, the
// sentinel of what was being validated (a domain's ErrInvalidCustomer, say), so that
// errors.Is(err, Of) holds. Its text is "<Of>: field: detail; field: detail"; without
// an Of it begins "validation failed". A *Error is not safe for concurrent use while
// fields are being added.
type Error struct {
	// Of is the sentinel the error wraps (nil for none).
	Of     error
	Fields []FieldError
}

// Error implements error.
func (v *Error) Error() string {
	prefix := "validation failed"
	if v.Of != nil {
		prefix = v.Of.Error()
	}
	parts := make([]string, 0, len(v.Fields))
	for _, f := range v.Fields {
		parts = append(parts, f.Field+": "+f.Detail)
	}
	return prefix + ": " + strings.Join(parts, "; ")
}

// Unwrap returns Of.
func (v *Error) Unwrap() error { return v.Of }

// FieldErrors yields every invalid field with its detail, in the order they were
// added: the behaviour the HTTP ports answer as a 400 listing the fields.
func (v *Error) FieldErrors() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range v.Fields {
			if !yield(f.Field, f.Detail) {
				return
			}
		}
	}
}

// Add records that field is invalid.
func (v *Error) Add(field, detail string) {
	v.Fields = append(v.Fields, FieldError{Field: field, Detail: detail})
}

// Merge appends the fields of err when it is (or wraps) a *Error and reports whether
// it was one; v keeps its own Of.
func (v *Error) Merge(err error) bool {
	var other *Error
	if !errors.As(err, &other) {
		return false
	}
	v.Fields = append(v.Fields, other.Fields...)
	return true
}

// OrNil returns v when it holds field errors and nil otherwise, so that a validator
// can end with `return verr.OrNil()`.
func (v *Error) OrNil() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}
