package application

import (
	"context"
	"fmt"
	"strings"
)

// RecordVehicle keeps the read model's copy of a vehicle up to date from a
// VehicleRegistered or VehicleUpdated event.
type RecordVehicle struct {
	Vehicle Vehicle
	Version SourceVersion
}

// RecordVehicleHandler handles RecordVehicle; like RecordCustomerHandler it is
// order-tolerant and idempotent. Licence numbers are stored upper-cased.
type RecordVehicleHandler struct{}

// Handle writes through w. An unusable event returns an error wrapping
// ErrInvalidReferenceEvent.
func (RecordVehicleHandler) Handle(ctx context.Context, w RefDataWriter, cmd RecordVehicle) error {
	v := cmd.Vehicle
	v.LicenseNumber = strings.ToUpper(strings.TrimSpace(v.LicenseNumber))
	if v.LicenseNumber == "" {
		return fmt.Errorf("%w: licenseNumber is empty", ErrInvalidReferenceEvent)
	}
	for _, s := range []string{v.LicenseNumber, v.Brand, v.Type, v.OwnerID} {
		if err := storableText(s); err != nil {
			return err
		}
	}
	if err := w.UpsertVehicle(ctx, v, cmd.Version); err != nil {
		return fmt.Errorf("record vehicle %s: %w", v.LicenseNumber, err)
	}
	return nil
}
