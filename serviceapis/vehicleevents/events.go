// Package vehicleevents is the vehicles context's event contract.
package vehicleevents

// Source is the CloudEvents source of vehicles events.
const Source = "pitstop/vehicles"

// Subjects (and CloudEvents types) of vehicles events.
const (
	SubjectVehicleRegistered = "pitstop.vehicles.VehicleRegistered"
	SubjectVehicleUpdated    = "pitstop.vehicles.VehicleUpdated"
	// SubjectVehicleStateTransferred is the state-transfer event of `pitstop republish`.
	SubjectVehicleStateTransferred = "pitstop.vehicles.VehicleStateTransferred"
	// SubjectAll matches every vehicles event.
	SubjectAll = "pitstop.vehicles.>"
)

// Vehicle is the vehicle data carried by every vehicles event.
type Vehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

// VehicleRegistered is published when a vehicle is registered.
type VehicleRegistered struct{ Vehicle }

// EventType implements events.Payload.
func (VehicleRegistered) EventType() string { return SubjectVehicleRegistered }

// EventSubject implements events.Payload.
func (e VehicleRegistered) EventSubject() string { return e.LicenseNumber }

// VehicleUpdated is published when a vehicle's data changes; it carries all fields.
type VehicleUpdated struct{ Vehicle }

// EventType implements events.Payload.
func (VehicleUpdated) EventType() string { return SubjectVehicleUpdated }

// EventSubject implements events.Payload.
func (e VehicleUpdated) EventSubject() string { return e.LicenseNumber }

// VehicleStateTransferred carries a vehicle's current state, re-emitted by the vehicles
// context on an operator's request (`pitstop republish --context vehicles`,
// vehicles.Republish) so that a read model can be rebuilt after the stream's retention
// dropped the original events. It is not a change: its body is VehicleUpdated's (all
// fields), its pitstop-seq continues the vehicle's sequence (so it is ordered after
// every earlier event of that vehicle), and a consumer applies it as an upsert of the
// whole vehicle.
type VehicleStateTransferred struct{ Vehicle }

// EventType implements events.Payload.
func (VehicleStateTransferred) EventType() string { return SubjectVehicleStateTransferred }

// EventSubject implements events.Payload.
func (e VehicleStateTransferred) EventSubject() string { return e.LicenseNumber }
