package domain

import (
	"errors"

	"github.com/pitstop/pitstop/shared-go/validation"
)

// ErrEntryNotFound is returned when no entry has the requested event id.
var ErrEntryNotFound = errors.New("audit entry not found")

// ErrInvalidEntry is wrapped by every error that rejects an event as unrecordable:
// retrying cannot help, so the consumer dead-letters it.
var ErrInvalidEntry = errors.New("invalid audit entry")

// ErrInvalidFilter is wrapped by every error that rejects a query's filter.
var ErrInvalidFilter = errors.New("invalid audit log filter")

// ValidationError lists every invalid field, not just the first, and wraps the sentinel
// of what was being validated (ErrInvalidEntry or ErrInvalidFilter).
type ValidationError = validation.Error
