package application

import (
	"context"
	"fmt"
	"strings"
)

// GetVehicleHandler answers one vehicle of the read model.
type GetVehicleHandler struct {
	r RefDataReader
}

// NewGetVehicleHandler returns a handler reading through r.
func NewGetVehicleHandler(r RefDataReader) *GetVehicleHandler { return &GetVehicleHandler{r: r} }

// Handle returns the vehicle (the licence number is matched case-insensitively) or
// ErrVehicleNotFound.
func (h *GetVehicleHandler) Handle(ctx context.Context, licenseNumber string) (Vehicle, error) {
	v, err := h.r.Vehicle(ctx, strings.ToUpper(licenseNumber))
	if err != nil {
		return Vehicle{}, fmt.Errorf("get vehicle %s: %w", licenseNumber, err)
	}
	return v, nil
}
