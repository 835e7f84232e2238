package domain

import (
	"errors"
	"iter"
	"strings"
)

// ErrVehicleNotFound is returned when no vehicle has the requested licence number.
var ErrVehicleNotFound = errors.New("vehicle not found")

// ErrVehicleExists is returned by a repository when a vehicle with the same licence
// number is already stored. Registration translates it into an idempotent replay or
// into ErrVehicleConflict.
var ErrVehicleExists = errors.New("vehicle already exists")

// ErrVehicleConflict is returned when a registration re-uses the licence number of an
// existing vehicle with different data.
var ErrVehicleConflict = errors.New("a vehicle with this licence number is already registered with different data")

// ErrInvalidLicenseNumber is wrapped by NewLicenseNumber's error for text that is not
// a licence number.
var ErrInvalidLicenseNumber = errors.New("invalid licence number")

// FieldError names one invalid field (by its camelCase name in the API and events) and
// what is wrong with it.
type FieldError struct {
	Field  string
	Detail string
}

// ValidationError lists every invalid field of a command, not just the first.
type ValidationError struct {
	Fields []FieldError
}

// Error implements error.
func (v *ValidationError) Error() string {
	parts := make([]string, 0, len(v.Fields))
	for _, f := range v.Fields {
		parts = append(parts, f.Field+": "+f.Detail)
	}
	return "invalid vehicle: " + strings.Join(parts, "; ")
}

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

// Merge appends the fields of err when it is (or wraps) a *ValidationError and reports
// whether it was one.
func (v *ValidationError) Merge(err error) bool {
	var other *ValidationError
	if !errors.As(err, &other) {
		return false
	}
	v.Fields = append(v.Fields, other.Fields...)
	return true
}

// OrNil returns v when it holds field errors and nil otherwise.
func (v *ValidationError) OrNil() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}
