package domain

import (
	"errors"

	"github.com/pitstop/pitstop/shared-go/validation"
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

// ErrInvalidVehicle is wrapped by every error that rejects a command's vehicle data
// (a *ValidationError listing the invalid fields).
var ErrInvalidVehicle = errors.New("invalid vehicle")

// ValidationError lists every invalid field of a command, not just the first, and wraps
// ErrInvalidVehicle.
type ValidationError = validation.Error
