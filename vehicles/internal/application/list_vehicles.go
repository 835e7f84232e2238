package application

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/validation"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// ErrInvalidOwnerFilter is returned for an owner filter that is not a UUID.
var ErrInvalidOwnerFilter = errors.New("ownerId must be a UUID")

// ErrInvalidListQuery is wrapped by the validation error of a list's q or sort
// parameter.
var ErrInvalidListQuery = errors.New("invalid list query")

// MaxSearchLength is the longest q a list accepts, in characters.
const MaxSearchLength = 100

// Query parameter names, as the API spells them; validation errors name them.
const (
	ParamQ    = "q"
	ParamSort = "sort"
)

// ListVehicles is the query for one page of vehicles, filtered and sorted. Its fields
// are the client's raw parameters; empty means "not given".
type ListVehicles struct {
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page (of the same
	// sort; a cursor of another sort is invalid).
	Cursor string
	// OwnerID, when not empty, restricts the list to the vehicles of that customer.
	OwnerID string
	// Q, when not empty, keeps the vehicles whose licence number (normalised as
	// licence numbers are: ASCII letters upper-cased), brand or type contains it,
	// brand and type ignoring case. It is trimmed; at most MaxSearchLength characters.
	Q string
	// Sort is one of the VehicleOrders' names; empty for registration order.
	Sort string
}

// SortField is what a vehicles list can be sorted by.
type SortField struct{ name string }

// The sort fields. Registration order is the default and the tie-breaker of brand
// (licence numbers are unique).
var (
	SortByRegistration  = SortField{"registration"}
	SortByLicenseNumber = SortField{"licenseNumber"}
	SortByBrand         = SortField{"brand"}
)

// VehicleOrder is the order of a vehicles list: a field, ascending or descending.
// Brands compare lower-cased, in the database's collation.
type VehicleOrder struct {
	Field      SortField
	Descending bool
}

// Param is the order's value of the sort parameter ("" for registration order).
func (o VehicleOrder) Param() string {
	if o.Field == SortByRegistration {
		return ""
	}
	if o.Descending {
		return "-" + o.Field.name
	}
	return o.Field.name
}

// VehicleOrders are the orders a client may ask for with the sort parameter.
var VehicleOrders = []VehicleOrder{
	{Field: SortByLicenseNumber}, {Field: SortByLicenseNumber, Descending: true},
	{Field: SortByBrand}, {Field: SortByBrand, Descending: true},
}

// VehicleFilter restricts a listing; zero fields do not.
type VehicleFilter struct {
	// OwnerID, when not uuid.Nil, selects the vehicles of one owner.
	OwnerID uuid.UUID
	// Q is a substring of the licence number (already normalised), the brand or the
	// type (ignoring case).
	Q string
}

// ListKey is where a page starts: after the row with this key in the list's order.
// The zero key is the start of the list.
type ListKey struct {
	// Position is the row's position (the tie-breaker; the whole key of registration
	// order). 0 is the start of the list.
	Position int64
	// Value is the row's sort value as the store compares it: the licence number or
	// the lower-cased brand; empty for registration order.
	Value string
}

// VehicleQuery is one page's read: at most Limit vehicles matching Filter that follow
// After in Order.
type VehicleQuery struct {
	Filter VehicleFilter
	Order  VehicleOrder
	After  ListKey
	Limit  int
}

// ListedVehicle is a listed vehicle with its version and its key in the list.
type ListedVehicle struct {
	Vehicle domain.Vehicle
	// Version is the version of the stored vehicle (its ETag).
	Version int64
	// Key is the vehicle's key in the list's order.
	Key ListKey
}

// VehicleLister is the storage ListVehiclesHandler needs.
type VehicleLister interface {
	// List returns at most q.Limit vehicles matching q.Filter that follow q.After in
	// q.Order, in that order.
	List(ctx context.Context, q VehicleQuery) ([]ListedVehicle, error)
}

// ListVehiclesHandler answers the ListVehicles query with keyset paging: a page is
// found by the key of the row it follows, not by an offset, so pages stay stable and
// cheap however deep, and paging through a filtered list yields each match once.
type ListVehiclesHandler struct {
	repo VehicleLister
}

// NewListVehiclesHandler returns a handler reading through repo.
func NewListVehiclesHandler(repo VehicleLister) ListVehiclesHandler {
	return ListVehiclesHandler{repo: repo}
}

// cursorPrefix versions the cursor format of registration order (unchanged since the
// first version: "v1:<position>"). Sorted lists use "v2:<sort>:<position>:<value>",
// so that a cursor of one order is refused by another.
const (
	cursorPrefix       = "v1:"
	sortedCursorPrefix = "v2:"
)

// Handle returns the requested page. Errors: paging.ErrInvalidLimit,
// paging.ErrInvalidCursor, ErrInvalidOwnerFilter and a validation error wrapping
// ErrInvalidListQuery naming q or sort (joined, one per bad parameter).
func (h ListVehiclesHandler) Handle(ctx context.Context, q ListVehicles) (paging.Page[ListedVehicle], error) {
	var f VehicleFilter
	verr := &validation.Error{Of: ErrInvalidListQuery}
	f.Q = domain.NormalizeLicenseNumberText(searchParam(verr, ParamQ, q.Q))
	order, sortOK := parseOrder(q.Sort)
	if !sortOK {
		verr.Add(ParamSort, "must be one of "+orderNames())
	}
	limit, limitErr := paging.ParseLimit(q.Limit)
	var (
		after     ListKey
		cursorErr error
	)
	if sortOK {
		after, cursorErr = decodeCursor(order, q.Cursor)
	}
	var ownerErr error
	if q.OwnerID != "" {
		id, err := uuid.Parse(q.OwnerID)
		if err != nil || id == uuid.Nil {
			ownerErr = ErrInvalidOwnerFilter
		}
		f.OwnerID = id
	}
	if err := errors.Join(limitErr, cursorErr, ownerErr, verr.OrNil()); err != nil {
		return paging.Page[ListedVehicle]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.List(ctx, VehicleQuery{Filter: f, Order: order, After: after, Limit: limit + 1})
	if err != nil {
		return paging.Page[ListedVehicle]{}, fmt.Errorf("list vehicles: %w", err)
	}
	return paging.NewPage(rows, limit, func(last ListedVehicle) string {
		return encodeCursor(order, last.Key)
	}), nil
}

// searchParam trims s and checks it is searchable (paging.SearchParam).
func searchParam(verr *validation.Error, param, s string) string {
	return paging.SearchParam(verr, param, s, MaxSearchLength)
}

func parseOrder(s string) (VehicleOrder, bool) {
	if s == "" {
		return VehicleOrder{Field: SortByRegistration}, true
	}
	for _, o := range VehicleOrders {
		if o.Param() == s {
			return o, true
		}
	}
	return VehicleOrder{}, false
}

func orderNames() string {
	names := make([]string, 0, len(VehicleOrders))
	for _, o := range VehicleOrders {
		names = append(names, o.Param())
	}
	return strings.Join(names, ", ")
}

func encodeCursor(o VehicleOrder, k ListKey) string {
	if o.Field == SortByRegistration {
		return paging.EncodePosition(cursorPrefix, k.Position)
	}
	return paging.EncodeKeyCursor(sortedCursorPrefix+o.Param()+":", k.Position, k.Value)
}

// decodeCursor returns the key a cursor of order o carries. A key's value comes back
// to the store as a query argument, so it must be text Postgres can hold (valid UTF-8
// without NUL).
func decodeCursor(o VehicleOrder, s string) (ListKey, error) {
	if o.Field == SortByRegistration {
		pos, err := paging.DecodePosition(cursorPrefix, s)
		return ListKey{Position: pos}, err
	}
	pos, value, err := paging.DecodeKeyCursor(sortedCursorPrefix+o.Param()+":", s)
	if err != nil || pos == 0 {
		return ListKey{}, err
	}
	return ListKey{Position: pos, Value: value}, nil
}
