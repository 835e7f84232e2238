package apiclient

import (
	"context"
	"net/http"
	"net/url"
)

// Vehicle is the vehicles API's representation (also workshop's reference data).
// Version is the stored version (0 when unknown, as in the workshop's reference data).
type Vehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
	Version       int    `json:"version,omitempty"`
}

// Vehicles is the client of /api/vehicles.
type Vehicles struct{ c client }

// NewVehicles returns the client sending its requests through rt.
func NewVehicles(rt http.RoundTripper) *Vehicles { return &Vehicles{newClient("vehicles", rt)} }

// VehicleQuery narrows and orders a vehicle list: OwnerID the owner's, Q searches
// licence number, brand and type, Sort one of licenseNumber, brand (- for
// descending); empty members are not sent.
type VehicleQuery struct {
	OwnerID, Q, Sort string
}

// List returns one page of vehicles, only ownerID's when it is not empty.
func (v *Vehicles) List(ctx context.Context, cursor, ownerID string, limit int) (Page[Vehicle], error) {
	return v.Search(ctx, VehicleQuery{OwnerID: ownerID}, cursor, limit)
}

// Search returns one page of the vehicles matching q, in its order.
func (v *Vehicles) Search(ctx context.Context, q VehicleQuery, cursor string, limit int) (Page[Vehicle], error) {
	query := pageQuery(cursor, limit)
	setNonEmpty(query, "ownerId", q.OwnerID)
	setNonEmpty(query, "q", q.Q)
	setNonEmpty(query, "sort", q.Sort)
	var p Page[Vehicle]
	err := v.c.do(ctx, http.MethodGet, "/api/vehicles", query, nil, &p)
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
	in.Version = 0
	err := v.c.do(ctx, http.MethodPost, "/api/vehicles", nil, in, &out)
	return out, err
}

// Update replaces the brand, type and owner of vehicle in.LicenseNumber. With
// in.Version > 0 it is stored only if the vehicle is still at that version (If-Match);
// otherwise the answer is a 412 *Problem and nothing is stored.
func (v *Vehicles) Update(ctx context.Context, in Vehicle) (Vehicle, error) {
	var out Vehicle
	cl := v.c
	if in.Version > 0 {
		cl = cl.withHeader("If-Match", ETag(in.Version))
	}
	in.Version = 0
	err := cl.do(ctx, http.MethodPut, "/api/vehicles/"+url.PathEscape(in.LicenseNumber), nil, in, &out)
	return out, err
}
