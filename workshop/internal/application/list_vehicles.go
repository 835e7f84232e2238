package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/shared-go/paging"
)

// ListVehiclesHandler pages through the vehicles of the read model, ordered by licence
// number.
type ListVehiclesHandler struct {
	r RefDataReader
}

// NewListVehiclesHandler returns a handler reading through r.
func NewListVehiclesHandler(r RefDataReader) *ListVehiclesHandler { return &ListVehiclesHandler{r: r} }

// Handle returns up to limit vehicles after the key after (see ListCustomersHandler);
// Next is the licence number of the page's last vehicle when more may follow.
// f narrows the list (see VehicleFilter); the order and the keys are the same with or
// without it.
func (h *ListVehiclesHandler) Handle(ctx context.Context, f VehicleFilter, after string, limit int) (paging.Page[Vehicle], error) {
	limit = clampLimit(limit)
	items, err := h.r.Vehicles(ctx, f, after, limit+1)
	if err != nil {
		return paging.Page[Vehicle]{}, fmt.Errorf("list vehicles: %w", err)
	}
	return paging.NewPage(items, limit, func(last Vehicle) string { return last.LicenseNumber }), nil
}
