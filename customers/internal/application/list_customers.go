package application

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/validation"
)

// ListCustomers is the query for one page of customers, filtered and sorted. Its
// fields are the client's raw parameters; empty means "not given".
type ListCustomers struct {
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page (of the same
	// sort; a cursor of another sort is invalid).
	Cursor string
	// Q, when not empty, keeps the customers whose name or e-mail address contains it,
	// ignoring case. It is trimmed; at most MaxSearchLength characters.
	Q string
	// City, when not empty, keeps the customers whose city starts with it, ignoring
	// case (a prefix match: "amster" finds Amsterdam). It is trimmed; at most
	// MaxSearchLength characters.
	City string
	// Sort is one of the CustomerOrders' names; empty for registration order.
	Sort string
}

// MaxSearchLength is the longest q or city a list accepts, in characters.
const MaxSearchLength = 100

// Query parameter names, as the API spells them; validation errors name them.
const (
	ParamQ    = "q"
	ParamCity = "city"
	ParamSort = "sort"
)

// ErrInvalidListQuery is wrapped by the validation error of a list's filter or sort
// parameters.
var ErrInvalidListQuery = errors.New("invalid list query")

// SortField is what a customers list can be sorted by.
type SortField struct{ name string }

// The sort fields. Registration order is the default and the tie-breaker of the
// others (their keys are not unique).
var (
	SortByRegistration = SortField{"registration"}
	SortByName         = SortField{"name"}
	SortByCity         = SortField{"city"}
	SortByCustomerID   = SortField{"customerId"}
)

// CustomerOrder is the order of a customers list: a field, ascending or descending.
// Names and cities are compared lower-cased, in the database's collation.
type CustomerOrder struct {
	Field      SortField
	Descending bool
}

// Param is the order's value of the sort parameter ("" for registration order).
func (o CustomerOrder) Param() string {
	if o.Field == SortByRegistration {
		return ""
	}
	if o.Descending {
		return "-" + o.Field.name
	}
	return o.Field.name
}

// CustomerOrders are the orders a client may ask for with the sort parameter.
var CustomerOrders = []CustomerOrder{
	{Field: SortByName}, {Field: SortByName, Descending: true},
	{Field: SortByCity}, {Field: SortByCity, Descending: true},
	{Field: SortByCustomerID}, {Field: SortByCustomerID, Descending: true},
}

// CustomerFilter restricts a listing; empty fields do not.
type CustomerFilter struct {
	// Q is a substring of the name or the e-mail address, matched ignoring case.
	Q string
	// CityPrefix is a prefix of the city, matched ignoring case.
	CityPrefix string
}

// ListKey is where a page starts: after the row with this key in the list's order.
// The zero key is the start of the list.
type ListKey struct {
	// Position is the row's position (the tie-breaker of every order; the whole key of
	// registration order). 0 with an empty Value is the start of the list.
	Position int64
	// Value is the row's sort value as the store compares it: the lower-cased name or
	// city, or the customer id; empty for registration order.
	Value string
}

// CustomerQuery is one page's read: at most Limit customers matching Filter that
// follow After in Order.
type CustomerQuery struct {
	Filter CustomerFilter
	Order  CustomerOrder
	After  ListKey
	Limit  int
}

// ListedCustomer is a listed customer with its version and its key in the list.
type ListedCustomer struct {
	Customer domain.Customer
	// Version is the version of the stored customer (its ETag).
	Version int64
	// Key is the customer's key in the list's order.
	Key ListKey
}

// CustomerLister is the storage ListCustomersHandler needs.
type CustomerLister interface {
	// List returns at most q.Limit customers matching q.Filter that follow q.After in
	// q.Order, in that order.
	List(ctx context.Context, q CustomerQuery) ([]ListedCustomer, error)
}

// ListCustomersHandler answers the ListCustomers query with keyset paging: a page is
// found by the key of the row it follows, not by an offset, so pages stay stable and
// cheap however deep, and paging through a filtered list yields each match once.
type ListCustomersHandler struct {
	repo CustomerLister
}

// NewListCustomersHandler returns a handler reading through repo.
func NewListCustomersHandler(repo CustomerLister) ListCustomersHandler {
	return ListCustomersHandler{repo: repo}
}

// cursorPrefix versions the cursor format of registration order (unchanged since the
// first version: "c1:<position>"). Sorted lists use "c2:<sort>:<position>:<value>",
// so that a cursor of one order is refused by another.
const (
	cursorPrefix       = "c1:"
	sortedCursorPrefix = "c2:"
)

// Handle returns the requested page. Errors: paging.ErrInvalidLimit,
// paging.ErrInvalidCursor and a validation error wrapping ErrInvalidListQuery naming
// q, city or sort (joined, one per bad parameter).
func (h ListCustomersHandler) Handle(ctx context.Context, q ListCustomers) (paging.Page[ListedCustomer], error) {
	verr := &validation.Error{Of: ErrInvalidListQuery}
	f := CustomerFilter{
		Q:          searchParam(verr, ParamQ, q.Q),
		CityPrefix: searchParam(verr, ParamCity, q.City),
	}
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
	if err := errors.Join(limitErr, cursorErr, verr.OrNil()); err != nil {
		return paging.Page[ListedCustomer]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.List(ctx, CustomerQuery{Filter: f, Order: order, After: after, Limit: limit + 1})
	if err != nil {
		return paging.Page[ListedCustomer]{}, fmt.Errorf("list customers: %w", err)
	}
	return paging.NewPage(rows, limit, func(last ListedCustomer) string {
		return encodeCursor(order, last.Key)
	}), nil
}

// searchParam trims s and checks it is searchable (paging.SearchParam).
func searchParam(verr *validation.Error, param, s string) string {
	return paging.SearchParam(verr, param, s, MaxSearchLength)
}

func parseOrder(s string) (CustomerOrder, bool) {
	if s == "" {
		return CustomerOrder{Field: SortByRegistration}, true
	}
	for _, o := range CustomerOrders {
		if o.Param() == s {
			return o, true
		}
	}
	return CustomerOrder{}, false
}

func orderNames() string {
	names := make([]string, 0, len(CustomerOrders))
	for _, o := range CustomerOrders {
		names = append(names, o.Param())
	}
	return strings.Join(names, ", ")
}

func encodeCursor(o CustomerOrder, k ListKey) string {
	if o.Field == SortByRegistration {
		return paging.EncodePosition(cursorPrefix, k.Position)
	}
	return paging.EncodeKeyCursor(sortedCursorPrefix+o.Param()+":", k.Position, k.Value)
}

// decodeCursor returns the key a cursor of order o carries. A key's value comes back
// to the store as a query argument, so it must be text Postgres can hold (valid UTF-8
// without NUL) and, for the customer id order, a UUID.
func decodeCursor(o CustomerOrder, s string) (ListKey, error) {
	if o.Field == SortByRegistration {
		pos, err := paging.DecodePosition(cursorPrefix, s)
		return ListKey{Position: pos}, err
	}
	pos, value, err := paging.DecodeKeyCursor(sortedCursorPrefix+o.Param()+":", s)
	if err != nil || pos == 0 {
		return ListKey{}, err
	}
	if o.Field == SortByCustomerID {
		if id, err := uuid.Parse(value); err != nil || id.String() != value {
			return ListKey{}, paging.ErrInvalidCursor
		}
	}
	return ListKey{Position: pos, Value: value}, nil
}
