package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
)

// ListCustomers is the query for one page of customers in registration order. Its
// fields are the client's raw parameters; empty means "not given".
type ListCustomers struct {
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// ListedCustomer is a customer with its position in registration order.
type ListedCustomer struct {
	Customer domain.Customer
	// Position increases with registration order and never changes.
	Position int64
}

// CustomerLister is the storage ListCustomersHandler needs.
type CustomerLister interface {
	// ListAfter returns at most n customers whose position is greater than after, in
	// position order.
	ListAfter(ctx context.Context, after int64, n int) ([]ListedCustomer, error)
}

// ListCustomersHandler answers the ListCustomers query with keyset paging: a page is
// found by position, not by offset, so pages stay stable and cheap however deep.
type ListCustomersHandler struct {
	repo CustomerLister
}

// NewListCustomersHandler returns a handler reading through repo.
func NewListCustomersHandler(repo CustomerLister) ListCustomersHandler {
	return ListCustomersHandler{repo: repo}
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "c1:"

// Handle returns the requested page. Errors: paging.ErrInvalidLimit, then
// paging.ErrInvalidCursor (only the first bad parameter is reported).
func (h ListCustomersHandler) Handle(ctx context.Context, q ListCustomers) (paging.Page[ListedCustomer], error) {
	limit, err := paging.ParseLimit(q.Limit)
	if err != nil {
		return paging.Page[ListedCustomer]{}, err
	}
	after, err := paging.DecodePosition(cursorPrefix, q.Cursor)
	if err != nil {
		return paging.Page[ListedCustomer]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.ListAfter(ctx, after, limit+1)
	if err != nil {
		return paging.Page[ListedCustomer]{}, fmt.Errorf("list customers: %w", err)
	}
	return paging.NewPage(rows, limit, func(last ListedCustomer) string {
		return paging.EncodePosition(cursorPrefix, last.Position)
	}), nil
}
