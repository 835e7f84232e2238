// Package vehicleevents is the vehicles context's event contract.
package vehicleevents

// Source is the CloudEvents source of vehicles events.
const Source = "pitstop/vehicles"

// Subjects (and CloudEvents types) of vehicles events.
const (
	SubjectVehicleRegistered = "pitstop.vehicles.VehicleRegistered"
	SubjectVehicleUpdated    = "pitstop.vehicles.VehicleUpdated"
	// SubjectAll matches every vehicles event.
	SubjectAll = "pitstop.vehicles.>"
)

// Vehicle is the vehicle data carried by both events.
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
