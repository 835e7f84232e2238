package application

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pitstop/pitstop/customers/internal/domain"
)

// Page sizes of ListCustomers.
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

// ListCustomers is the query for one page of customers in registration order.
type ListCustomers struct {
	// Limit is the page size, 1..MaxLimit (ports pass DefaultLimit when none was given).
	Limit int
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// CustomerPage is one page of customers.
type CustomerPage struct {
	Customers []domain.Customer
	// Next is the opaque cursor of the following page; empty on the last page.
	Next string
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

// Handle returns the requested page. Errors: ErrInvalidLimit, ErrInvalidCursor.
func (h ListCustomersHandler) Handle(ctx context.Context, q ListCustomers) (CustomerPage, error) {
	if q.Limit < 1 || q.Limit > MaxLimit {
		return CustomerPage{}, ErrInvalidLimit
	}
	var after int64
	if q.Cursor != "" {
		var err error
		if after, err = decodeCursor(q.Cursor); err != nil {
			return CustomerPage{}, err
		}
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.ListAfter(ctx, after, q.Limit+1)
	if err != nil {
		return CustomerPage{}, fmt.Errorf("list customers: %w", err)
	}
	page := CustomerPage{Customers: make([]domain.Customer, 0, min(len(rows), q.Limit))}
	for i, r := range rows {
		if i == q.Limit {
			page.Next = encodeCursor(rows[i-1].Position)
			break
		}
		page.Customers = append(page.Customers, r.Customer)
	}
	return page, nil
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "c1:"

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
