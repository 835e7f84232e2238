// Package application holds the vehicles context's use cases, one file per command
// and per query. Handlers load through a repository, call the domain and save; the
// repository owns the transaction in which the vehicle row and its outbox events
// commit together. Events are built here (events.New) so that the domain stays free of
// messaging concerns and the adapters stay free of business decisions.
package application

import (
	"time"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// Repository is every storage operation the use cases need; the Postgres adapter
// implements it.
type Repository interface {
	VehicleRegistrar
	VehicleUpdater
	VehicleGetter
	VehicleLister
}

// Application groups the context's use cases; the driving ports call its fields.
type Application struct {
	RegisterVehicle RegisterVehicleHandler
	UpdateVehicle   UpdateVehicleHandler
	GetVehicle      GetVehicleHandler
	ListVehicles    ListVehiclesHandler
}

// New builds the use cases on repo; now stamps the events' time (time.Now if nil).
func New(repo Repository, now func() time.Time) Application {
	if now == nil {
		now = time.Now
	}
	return Application{
		RegisterVehicle: NewRegisterVehicleHandler(repo, now),
		UpdateVehicle:   NewUpdateVehicleHandler(repo, now),
		GetVehicle:      NewGetVehicleHandler(repo),
		ListVehicles:    NewListVehiclesHandler(repo),
	}
}

// contract renders a vehicle as the event contract's vehicle data.
func contract(v domain.Vehicle) vehicleevents.Vehicle {
	return vehicleevents.Vehicle{
		LicenseNumber: v.LicenseNumber().String(),
		Brand:         v.Brand(),
		Type:          v.Type(),
		OwnerID:       v.OwnerID().String(),
	}
}
