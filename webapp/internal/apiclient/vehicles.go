package apiclient

import (
	"context"
	"net/http"
	"net/url"
)

// Vehicle is the vehicles API's representation (also workshop's reference data).
type Vehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

// Vehicles is the client of /api/vehicles.
type Vehicles struct{ c client }

// NewVehicles returns the client sending its requests through rt.
func NewVehicles(rt http.RoundTripper) *Vehicles { return &Vehicles{newClient("vehicles", rt)} }

// List returns one page of vehicles, only ownerID's when it is not empty.
func (v *Vehicles) List(ctx context.Context, cursor, ownerID string, limit int) (Page[Vehicle], error) {
	q := pageQuery(cursor, limit)
	if ownerID != "" {
		q.Set("ownerId", ownerID)
	}
	var p Page[Vehicle]
	err := v.c.do(ctx, http.MethodGet, "/api/vehicles", q, nil, &p)
	return p, err
}

// Get returns one vehicle (a 404 *Problem when unknown).
func (v *Vehicles) Get(ctx context.Context, licenseNumber string) (Vehicle, error) {
	var out Vehicle
	err := v.c.do(ctx, http.MethodGet, "/api/vehicles/"+url.PathEscape(licenseNumber), nil, nil, &out)
	return out, err
}

// Register registers in; the licence number is the id, so a retry is idempotent.
func (v *Vehicles) Register(ctx context.Context, in Vehicle) (Vehicle, error) {
	var out Vehicle
	err := v.c.do(ctx, http.MethodPost, "/api/vehicles", nil, in, &out)
	return out, err
}
