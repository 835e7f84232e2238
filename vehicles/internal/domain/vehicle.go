// Package domain is the vehicles context's model: the Vehicle aggregate, its
// LicenseNumber value object, the rules their data must satisfy and the errors they
// report. It imports no adapter.
package domain

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Maximum lengths, in characters (Unicode code points), of a vehicle's text fields.
const (
	MaxBrandLength = 100
	MaxTypeLength  = 100
)

// Field names used in validation errors; they are the names of the API and events.
const (
	FieldLicenseNumber = "licenseNumber"
	FieldBrand         = "brand"
	FieldType          = "type"
	FieldOwnerID       = "ownerId"
)

// Details are a vehicle's data besides its licence number, as a client gives them:
// possibly untrimmed and invalid. A Vehicle only ever holds validated data.
type Details struct {
	Brand string
	Type  string
	// OwnerID is the id of the customer who owns the vehicle, in any form uuid.Parse
	// accepts; it is held in canonical form.
	OwnerID string
}

// Vehicle is the vehicles aggregate: a car the garage maintains, identified by its
// licence number. The zero value is not a valid vehicle; use NewVehicle or
// RehydrateVehicle. Vehicles are comparable with ==.
type Vehicle struct {
	licenseNumber LicenseNumber
	brand         string
	typ           string
	ownerID       uuid.UUID
}

// NewVehicle validates every field and returns the vehicle. The licence number is
// upper-cased; brand and type are trimmed; the owner id is parsed. The error is a
// *ValidationError listing every invalid field, in the order licenseNumber, brand,
// type, ownerId.
func NewVehicle(licenseNumber string, d Details) (Vehicle, error) {
	verr := &ValidationError{Of: ErrInvalidVehicle}
	l := licenseNumberField(verr, licenseNumber)
	v := Vehicle{licenseNumber: l}
	v.brand, v.typ, v.ownerID = validateDetails(verr, d)
	if err := verr.OrNil(); err != nil {
		return Vehicle{}, err
	}
	return v, nil
}

// RehydrateVehicle rebuilds a vehicle from storage without validating it again: the
// data was validated when it was stored.
func RehydrateVehicle(l LicenseNumber, brand, typ string, ownerID uuid.UUID) Vehicle {
	return Vehicle{licenseNumber: l, brand: brand, typ: typ, ownerID: ownerID}
}

// ValidateDetails checks d as NewVehicle and Update do, returning nil or a
// *ValidationError listing every invalid field.
func ValidateDetails(d Details) error {
	verr := &ValidationError{Of: ErrInvalidVehicle}
	validateDetails(verr, d)
	return verr.OrNil()
}

func licenseNumberField(verr *ValidationError, s string) LicenseNumber {
	if strings.TrimSpace(s) == "" {
		verr.Add(FieldLicenseNumber, "is required")
		return LicenseNumber{}
	}
	l, err := NewLicenseNumber(s)
	if errors.Is(err, ErrInvalidLicenseNumber) {
		verr.Add(FieldLicenseNumber, LicenseNumberFormat)
	}
	return l
}

func validateDetails(verr *ValidationError, d Details) (brand, typ string, owner uuid.UUID) {
	brand = text(verr, FieldBrand, d.Brand, MaxBrandLength)
	typ = text(verr, FieldType, d.Type, MaxTypeLength)
	owner = ownerID(verr, d.OwnerID)
	return brand, typ, owner
}

// text trims s and checks it is present, valid UTF-8, free of control characters and
// at most max characters long, recording at most one error for the field.
func text(verr *ValidationError, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		verr.Add(field, "is required")
	case !utf8.ValidString(s):
		verr.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		verr.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		verr.Add(field, "must not contain control characters")
	}
	return s
}

func ownerID(verr *ValidationError, s string) uuid.UUID {
	s = strings.TrimSpace(s)
	if s == "" {
		verr.Add(FieldOwnerID, "is required")
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	switch {
	case err != nil:
		verr.Add(FieldOwnerID, "must be a UUID")
	case id == uuid.Nil:
		verr.Add(FieldOwnerID, "must not be the nil UUID")
	}
	return id
}

// LicenseNumber is the vehicle's licence number, its identity.
func (v Vehicle) LicenseNumber() LicenseNumber { return v.licenseNumber }

// Brand is the vehicle's make, such as "Volkswagen".
func (v Vehicle) Brand() string { return v.brand }

// Type is the vehicle's model, such as "Golf".
func (v Vehicle) Type() string { return v.typ }

// OwnerID is the id of the customer who owns the vehicle.
func (v Vehicle) OwnerID() uuid.UUID { return v.ownerID }

// Update replaces the vehicle's brand, type and owner with d after validating it (as
// NewVehicle does). It reports whether anything changed; on error the vehicle is
// unchanged.
func (v *Vehicle) Update(d Details) (changed bool, err error) {
	verr := &ValidationError{Of: ErrInvalidVehicle}
	brand, typ, owner := validateDetails(verr, d)
	if err := verr.OrNil(); err != nil {
		return false, err
	}
	if brand == v.brand && typ == v.typ && owner == v.ownerID {
		return false, nil
	}
	v.brand, v.typ, v.ownerID = brand, typ, owner
	return true, nil
}
