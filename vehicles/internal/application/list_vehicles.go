package application

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// Page sizes of ListVehicles.
const (
	// DefaultLimit is the page size when the client asks for none.
	DefaultLimit = 50
	// MaxLimit is the largest page a client may ask for.
	MaxLimit = 200
)

// ErrInvalidLimit is returned for a page size outside 1..MaxLimit.
var ErrInvalidLimit = fmt.Errorf("limit must be between 1 and %d", MaxLimit)

// ErrInvalidCursor is returned for a cursor that this service did not hand out.
var ErrInvalidCursor = errors.New("cursor is not valid")

// ErrInvalidOwnerFilter is returned for an owner filter that is not a UUID.
var ErrInvalidOwnerFilter = errors.New("ownerId must be a UUID")

// ListVehicles is the query for one page of vehicles in registration order.
type ListVehicles struct {
	// Limit is the page size, 1..MaxLimit (ports pass DefaultLimit when none was given).
	Limit int
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
	// OwnerID, when not empty, restricts the list to the vehicles of that customer.
	OwnerID string
}

// VehiclePage is one page of vehicles.
type VehiclePage struct {
	Vehicles []domain.Vehicle
	// Next is the opaque cursor of the following page; empty on the last page.
	Next string
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

// Handle returns the requested page. Errors: ErrInvalidLimit, ErrInvalidCursor,
// ErrInvalidOwnerFilter (possibly joined, one per bad parameter).
func (h ListVehiclesHandler) Handle(ctx context.Context, q ListVehicles) (VehiclePage, error) {
	var (
		errs  []error
		after int64
		f     VehicleFilter
	)
	if q.Limit < 1 || q.Limit > MaxLimit {
		errs = append(errs, ErrInvalidLimit)
	}
	if q.Cursor != "" {
		var err error
		if after, err = decodeCursor(q.Cursor); err != nil {
			errs = append(errs, err)
		}
	}
	if q.OwnerID != "" {
		id, err := uuid.Parse(q.OwnerID)
		if err != nil || id == uuid.Nil {
			errs = append(errs, ErrInvalidOwnerFilter)
		}
		f.OwnerID = id
	}
	if err := errors.Join(errs...); err != nil {
		return VehiclePage{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.ListAfter(ctx, f, after, q.Limit+1)
	if err != nil {
		return VehiclePage{}, fmt.Errorf("list vehicles: %w", err)
	}
	page := VehiclePage{Vehicles: make([]domain.Vehicle, 0, min(len(rows), q.Limit))}
	for i, r := range rows {
		if i == q.Limit {
			page.Next = encodeCursor(rows[i-1].Position)
			break
		}
		page.Vehicles = append(page.Vehicles, r.Vehicle)
	}
	return page, nil
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "v1:"

func encodeCursor(position int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(position, 10)))
}

func decodeCursor(s string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, ErrInvalidCursor
	}
	digits, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, ErrInvalidCursor
	}
	pos, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || pos < 1 || strconv.FormatInt(pos, 10) != digits {
		return 0, ErrInvalidCursor
	}
	return pos, nil
}
