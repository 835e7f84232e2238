package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// VehicleGetter is the storage GetVehicleHandler needs.
type VehicleGetter interface {
	// Get returns the vehicle with the licence number and its version, or an error wrapping
	// domain.ErrVehicleNotFound.
	Get(ctx context.Context, l domain.LicenseNumber) (VersionedVehicle, error)
}

// GetVehicleHandler answers the GetVehicle query.
type GetVehicleHandler struct {
	repo VehicleGetter
}

// NewGetVehicleHandler returns a handler reading through repo.
func NewGetVehicleHandler(repo VehicleGetter) GetVehicleHandler {
	return GetVehicleHandler{repo: repo}
}

// Handle returns the vehicle with the licence number, matched case-insensitively, or
// an error wrapping domain.ErrVehicleNotFound (also for text that is not a licence
// number, since it cannot name a vehicle).
func (h GetVehicleHandler) Handle(ctx context.Context, licenseNumber string) (VersionedVehicle, error) {
	l, err := domain.NewLicenseNumber(licenseNumber)
	if err != nil {
		return VersionedVehicle{}, fmt.Errorf("get vehicle %q: %w", licenseNumber, domain.ErrVehicleNotFound)
	}
	v, err := h.repo.Get(ctx, l)
	if err != nil {
		return VersionedVehicle{}, fmt.Errorf("get vehicle %s: %w", l, err)
	}
	return v, nil
}
