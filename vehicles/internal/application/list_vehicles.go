package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// ErrInvalidOwnerFilter is returned for an owner filter that is not a UUID.
var ErrInvalidOwnerFilter = errors.New("ownerId must be a UUID")

// ListVehicles is the query for one page of vehicles in registration order. Its fields
// are the client's raw parameters; empty means "not given".
type ListVehicles struct {
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
	// OwnerID, when not empty, restricts the list to the vehicles of that customer.
	OwnerID string
}

// ListedVehicle is a vehicle with its position in registration order.
type ListedVehicle struct {
	Vehicle domain.Vehicle
	// Position increases with registration order and never changes.
	Position int64
}

// VehicleFilter restricts a listing.
type VehicleFilter struct {
	// OwnerID, when not uuid.Nil, selects the vehicles of one owner.
	OwnerID uuid.UUID
}

// VehicleLister is the storage ListVehiclesHandler needs.
type VehicleLister interface {
	// ListAfter returns at most n vehicles matching f whose position is greater than
	// after, in position order.
	ListAfter(ctx context.Context, f VehicleFilter, after int64, n int) ([]ListedVehicle, error)
}

// ListVehiclesHandler answers the ListVehicles query with keyset paging: a page is
// found by position, not by offset, so pages stay stable and cheap however deep.
type ListVehiclesHandler struct {
	repo VehicleLister
}

// NewListVehiclesHandler returns a handler reading through repo.
func NewListVehiclesHandler(repo VehicleLister) ListVehiclesHandler {
	return ListVehiclesHandler{repo: repo}
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "v1:"

// Handle returns the requested page. Errors: paging.ErrInvalidLimit,
// paging.ErrInvalidCursor, ErrInvalidOwnerFilter (possibly joined, one per bad
// parameter).
func (h ListVehiclesHandler) Handle(ctx context.Context, q ListVehicles) (paging.Page[ListedVehicle], error) {
	var f VehicleFilter
	limit, limitErr := paging.ParseLimit(q.Limit)
	after, cursorErr := paging.DecodePosition(cursorPrefix, q.Cursor)
	var ownerErr error
	if q.OwnerID != "" {
		id, err := uuid.Parse(q.OwnerID)
		if err != nil || id == uuid.Nil {
			ownerErr = ErrInvalidOwnerFilter
		}
		f.OwnerID = id
	}
	if err := errors.Join(limitErr, cursorErr, ownerErr); err != nil {
		return paging.Page[ListedVehicle]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.ListAfter(ctx, f, after, limit+1)
	if err != nil {
		return paging.Page[ListedVehicle]{}, fmt.Errorf("list vehicles: %w", err)
	}
	return paging.NewPage(rows, limit, func(last ListedVehicle) string {
		return paging.EncodePosition(cursorPrefix, last.Position)
	}), nil
}
