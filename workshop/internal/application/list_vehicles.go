package application

import (
	"context"
	"fmt"
)

// ListVehiclesHandler pages through the vehicles of the read model, ordered by licence
// number.
type ListVehiclesHandler struct {
	r RefDataReader
}

// NewListVehiclesHandler returns a handler reading through r.
func NewListVehiclesHandler(r RefDataReader) *ListVehiclesHandler { return &ListVehiclesHandler{r: r} }

// Handle returns up to limit vehicles after the key after (see ListCustomersHandler).
func (h *ListVehiclesHandler) Handle(ctx context.Context, after string, limit int) (Page[Vehicle], error) {
	limit = clampLimit(limit)
	items, err := h.r.Vehicles(ctx, after, limit+1)
	if err != nil {
		return Page[Vehicle]{}, fmt.Errorf("list vehicles: %w", err)
	}
	page := Page[Vehicle]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.Next = items[limit-1].LicenseNumber
	}
	return page, nil
}
