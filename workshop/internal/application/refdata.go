package application

import (
	"context"
	"errors"
	"strings"
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
	// SearchCustomers returns up to limit customers whose name contains q (case-
	// insensitively), ordered by lower-cased name then id, after the key after (a
	// CustomerNameKey's String, "" = from the start).
	SearchCustomers(ctx context.Context, q string, after CustomerNameKey, limit int) ([]Customer, CustomerKeys, error)
	// Vehicles returns up to limit vehicles matching f with a licence number after after.
	Vehicles(ctx context.Context, f VehicleFilter, after string, limit int) ([]Vehicle, error)
	// Vehicle returns one vehicle or ErrVehicleNotFound.
	Vehicle(ctx context.Context, licenseNumber string) (Vehicle, error)
}

// VehicleFilter narrows the vehicles list: Q is a case-insensitive substring of the
// licence number, brand or type; OwnerID the owner's customer id. Empty means any.
type VehicleFilter struct {
	Q       string
	OwnerID string
}

// CustomerNameKey is a customer's position in the by-name order: its lower-cased name
// (as the database lower-cases it) and its id.
type CustomerNameKey struct {
	Name string
	ID   string
}

// customerKeySep separates the two parts of an encoded CustomerNameKey; it is a control
// character, which no stored name holds (storableText).
const customerKeySep = "\x1f"

// String encodes the key for a cursor ("" for the zero key).
func (k CustomerNameKey) String() string {
	if k.ID == "" {
		return ""
	}
	return k.Name + customerKeySep + k.ID
}

// ParseCustomerNameKey decodes a key made by String; false if s is not one.
func ParseCustomerNameKey(s string) (CustomerNameKey, bool) {
	if s == "" {
		return CustomerNameKey{}, true
	}
	name, id, ok := strings.Cut(s, customerKeySep)
	if !ok || id == "" || strings.Contains(id, customerKeySep) {
		return CustomerNameKey{}, false
	}
	return CustomerNameKey{Name: name, ID: id}, true
}

// CustomerKeys are the by-name keys of the customers SearchCustomers returned, one per
// customer, in the same order.
type CustomerKeys []CustomerNameKey
