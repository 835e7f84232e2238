package application

import (
	"errors"

	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// VersionedVehicle is a stored vehicle with the version of its stored state. The
// version is 1 at registration and grows by one with every update that changes the
// vehicle (in the transaction that writes the update's event); the HTTP port shows
// it as the vehicle's ETag.
type VersionedVehicle struct {
	Vehicle domain.Vehicle
	Version int64
}

// ErrStaleVehicle is returned by an update whose precondition does not hold: the
// vehicle was changed (by someone else) since the client read the version it named.
var ErrStaleVehicle = errors.New("the vehicle was changed by someone else since it was read")
