package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// RegisterVehicle is the command to register a new vehicle. The licence number is
// the vehicle's id, so the command is naturally idempotent.
type RegisterVehicle struct {
	// LicenseNumber is matched case-insensitively and stored upper-cased.
	LicenseNumber string
	// Details are the brand, type and owner, validated and trimmed by the domain.
	Details domain.Details
}

// RegisterVehicleResult is the outcome of a successful RegisterVehicle.
type RegisterVehicleResult struct {
	// Vehicle is the registered vehicle (the stored one on a replay).
	Vehicle domain.Vehicle
	// Version is the stored vehicle's version (1 for a new one).
	Version int64
	// Created is true when this command stored the vehicle, false when it repeated an
	// earlier registration with the same licence number and the same data (nothing
	// was stored).
	Created bool
}

// VehicleRegistrar is the storage RegisterVehicleHandler needs.
type VehicleRegistrar interface {
	// Add stores a new vehicle and its events in one transaction. When the licence
	// number is already taken it stores nothing and returns an error wrapping
	// domain.ErrVehicleExists (also when a concurrent registration won the race).
	Add(ctx context.Context, v domain.Vehicle, evs ...events.Envelope) error
	// Get returns the vehicle with the licence number or an error wrapping
	// domain.ErrVehicleNotFound.
	Get(ctx context.Context, l domain.LicenseNumber) (VersionedVehicle, error)
}

// RegisterVehicleHandler registers vehicles and publishes VehicleRegistered.
type RegisterVehicleHandler struct {
	repo VehicleRegistrar
	now  func() time.Time
}

// NewRegisterVehicleHandler returns a handler storing through repo.
func NewRegisterVehicleHandler(repo VehicleRegistrar, now func() time.Time) RegisterVehicleHandler {
	return RegisterVehicleHandler{repo: repo, now: now}
}

// Handle registers the vehicle and its VehicleRegistered event atomically.
//
// Errors: a *domain.ValidationError listing every invalid field;
// domain.ErrVehicleConflict when the licence number belongs to a vehicle with
// different data. Repeating a registration with the same licence number (in any case)
// and the same data returns the stored vehicle with Created false and stores nothing,
// so clients may retry, also concurrently.
func (h RegisterVehicleHandler) Handle(ctx context.Context, cmd RegisterVehicle) (RegisterVehicleResult, error) {
	v, err := domain.NewVehicle(cmd.LicenseNumber, cmd.Details)
	if err != nil {
		return RegisterVehicleResult{}, err
	}
	ev, err := events.New(vehicleevents.Source, vehicleevents.VehicleRegistered{Vehicle: contract(v)}, h.now())
	if err != nil {
		return RegisterVehicleResult{}, err
	}
	l := v.LicenseNumber()
	err = h.repo.Add(ctx, v, ev)
	if err == nil {
		return RegisterVehicleResult{Vehicle: v, Version: 1, Created: true}, nil
	}
	if !errors.Is(err, domain.ErrVehicleExists) {
		return RegisterVehicleResult{}, fmt.Errorf("register vehicle %s: %w", l, err)
	}
	// The licence number is taken: a retry (same data) or another vehicle (conflict).
	existing, err := h.repo.Get(ctx, l)
	if err != nil {
		return RegisterVehicleResult{}, fmt.Errorf("register vehicle %s: read existing: %w", l, err)
	}
	if existing.Vehicle != v {
		return RegisterVehicleResult{}, fmt.Errorf("register vehicle %s: %w", l, domain.ErrVehicleConflict)
	}
	return RegisterVehicleResult{Vehicle: existing.Vehicle, Version: existing.Version, Created: false}, nil
}
