package application

import (
	"errors"
	"slices"

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

// Precondition is what a conditional update requires of the stored version (the HTTP
// port makes it from If-Match). The zero value is no precondition: the update is
// unconditional.
type Precondition struct {
	any      bool
	versions []int64
	set      bool
}

// Unconditional is no precondition (a PUT without If-Match).
var Unconditional = Precondition{}

// IfExists holds for any stored version (If-Match: *).
var IfExists = Precondition{any: true, set: true}

// IfVersion holds when the stored version is one of versions; with none it never
// holds (an If-Match naming only tags this service did not hand out).
func IfVersion(versions ...int64) Precondition {
	return Precondition{versions: versions, set: true}
}

// Holds reports whether a vehicle at version satisfies p.
func (p Precondition) Holds(version int64) bool {
	if !p.set || p.any {
		return true
	}
	return slices.Contains(p.versions, version)
}
