package application

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Errors of the reference-data read model.
var (
	// ErrCustomerNotFound is returned when the read model holds no such customer.
	ErrCustomerNotFound = errors.New("customer not found")
	// ErrVehicleNotFound is returned when the read model holds no such vehicle.
	ErrVehicleNotFound = errors.New("vehicle not found")
	// ErrInvalidReferenceEvent is returned for an event whose data cannot be recorded
	// (a missing key, control characters); retrying cannot help.
	ErrInvalidReferenceEvent = errors.New("invalid reference-data event")
)

// Customer is the workshop's copy of a customer, kept from the customers context's events.
type Customer struct {
	CustomerID      string
	Name            string
	Address         string
	PostalCode      string
	City            string
	TelephoneNumber string
	EmailAddress    string
}

// Vehicle is the workshop's copy of a vehicle, kept from the vehicles context's events.
// LicenseNumber is upper-cased.
type Vehicle struct {
	LicenseNumber string
	Brand         string
	Type          string
	OwnerID       string
}

// SourceVersion orders the events a reference-data row came from: an event's time
// (ce-time), then its id as a tie-breaker, so that every replica converges on the
// same row whatever order the events arrive in.
type SourceVersion struct {
	Time    time.Time
	EventID uuid.UUID
	// Seq is the event's position in its aggregate (pitstop-seq), 0 for an event
	// written before sequences existed. The consumer applies sequenced events in
	// order, so a sequenced event always wins; only unsequenced ones fall back to
	// event time, then id.
	Seq int64
}

// RefDataWriter writes reference data. Implementations are bound to the transaction
// of the consumer's inbox, so the write and the event's de-duplication commit together.
type RefDataWriter interface {
	// UpsertCustomer stores c unless the stored row comes from a newer SourceVersion.
	UpsertCustomer(ctx context.Context, c Customer, v SourceVersion) error
	// UpsertVehicle stores v unless the stored row comes from a newer SourceVersion.
	UpsertVehicle(ctx context.Context, veh Vehicle, v SourceVersion) error
}

// RefDataReader reads reference data in pages ordered by key.
type RefDataReader interface {
	// Customers returns up to limit customers with an id after after ("" = from the start).
	Customers(ctx context.Context, after string, limit int) ([]Customer, error)
	// Customer returns one customer or ErrCustomerNotFound.
	Customer(ctx context.Context, id string) (Customer, error)
	// Vehicles returns up to limit vehicles with a licence number after after.
	Vehicles(ctx context.Context, after string, limit int) ([]Vehicle, error)
	// Vehicle returns one vehicle or ErrVehicleNotFound.
	Vehicle(ctx context.Context, licenseNumber string) (Vehicle, error)
}
