package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/shared-go/precondition"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// UpdateVehicle is the command to replace a vehicle's brand, type and owner.
type UpdateVehicle struct {
	// LicenseNumber is the vehicle to update (from the resource address), in any case.
	LicenseNumber string
	// RepeatedLicenseNumber is the licence number repeated in the request body, if the
	// client sent one; when present it must denote the same vehicle.
	RepeatedLicenseNumber string
	// Details are the vehicle's new data (all fields, as in a registration).
	Details domain.Details
	// Precondition is what the stored version must satisfy (Unconditional by default).
	Precondition precondition.Precondition
}

// VehicleUpdater is the storage UpdateVehicleHandler needs.
type VehicleUpdater interface {
	// Update locks the vehicle, lets fn change it (fn is given the stored version) and
	// return the events to record, and stores the changed vehicle with those events and
	// its version increased by one in one transaction. When fn returns no events the
	// vehicle is unchanged and nothing is written. When fn fails nothing is stored and
	// its error is returned. An unknown licence number yields an error wrapping
	// domain.ErrVehicleNotFound. fn must not do I/O: it runs inside the transaction. It
	// returns the vehicle as stored afterwards, with its version.
	Update(ctx context.Context, l domain.LicenseNumber,
		fn func(v *domain.Vehicle, version int64) ([]events.Envelope, error)) (VersionedVehicle, error)
}

// UpdateVehicleHandler updates vehicles and publishes VehicleUpdated.
type UpdateVehicleHandler struct {
	repo VehicleUpdater
	now  func() time.Time
}

// NewUpdateVehicleHandler returns a handler storing through repo.
func NewUpdateVehicleHandler(repo VehicleUpdater, now func() time.Time) UpdateVehicleHandler {
	return UpdateVehicleHandler{repo: repo, now: now}
}

// Handle replaces the vehicle's data. It records a VehicleUpdated event (carrying all
// fields) only when something changed; an update to the same data is accepted and
// records nothing and keeps the version. The precondition is checked against the
// locked row, so of two updates that name the same version exactly one can succeed.
//
// Errors: domain.ErrVehicleNotFound, also for a licence number that is not valid (it
// cannot name a vehicle), before the precondition; ErrStaleVehicle when the
// precondition does not hold (nothing is stored); a *domain.ValidationError listing
// every invalid field.
func (h UpdateVehicleHandler) Handle(ctx context.Context, cmd UpdateVehicle) (VersionedVehicle, error) {
	l, err := domain.NewLicenseNumber(cmd.LicenseNumber)
	if err != nil {
		return VersionedVehicle{}, fmt.Errorf("update vehicle %q: %w", cmd.LicenseNumber, domain.ErrVehicleNotFound)
	}
	// Validate before touching storage so that bad input never costs a transaction.
	verr := &domain.ValidationError{Of: domain.ErrInvalidVehicle}
	if cmd.RepeatedLicenseNumber != "" {
		if repeated, err := domain.NewLicenseNumber(cmd.RepeatedLicenseNumber); err != nil || repeated != l {
			verr.Add(domain.FieldLicenseNumber, "must be the licence number of the vehicle being updated, or be left out")
		}
	}
	if err := domain.ValidateDetails(cmd.Details); err != nil && !verr.Merge(err) {
		return VersionedVehicle{}, err
	}
	if err := verr.OrNil(); err != nil {
		return VersionedVehicle{}, err
	}
	v, err := h.repo.Update(ctx, l, func(v *domain.Vehicle, version int64) ([]events.Envelope, error) {
		if !cmd.Precondition.Holds(version) {
			return nil, ErrStaleVehicle
		}
		changed, err := v.Update(cmd.Details)
		if err != nil || !changed {
			return nil, err
		}
		ev, err := events.New(vehicleevents.Source, vehicleevents.VehicleUpdated{Vehicle: contract(*v)}, h.now())
		if err != nil {
			return nil, err
		}
		return []events.Envelope{ev}, nil
	})
	if err != nil {
		return VersionedVehicle{}, fmt.Errorf("update vehicle %s: %w", l, err)
	}
	return v, nil
}
