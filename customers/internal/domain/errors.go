package domain

import (
	"errors"

	"github.com/pitstop/pitstop/shared-go/validation"
)

// ErrCustomerNotFound is returned when no customer has the requested id.
var ErrCustomerNotFound = errors.New("customer not found")

// ErrCustomerExists is returned by a repository when a customer with the same id is
// already stored. Registration translates it into an idempotent replay or into
// ErrCustomerConflict.
var ErrCustomerExists = errors.New("customer already exists")

// ErrCustomerConflict is returned when a registration re-uses the id of an existing
// customer with different data.
var ErrCustomerConflict = errors.New("a customer with this id already exists with different data")

// ErrInvalidCustomer is wrapped by every error that rejects a command's customer data
// (a *ValidationError listing the invalid fields).
var ErrInvalidCustomer = errors.New("invalid customer")

// ValidationError lists every invalid field of a command, not just the first, and wraps
// ErrInvalidCustomer.
type ValidationError = validation.Error
