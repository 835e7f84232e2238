package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/shared-go/paging"
)

// ListCustomersHandler pages through the customers of the read model, ordered by id.
type ListCustomersHandler struct {
	r RefDataReader
}

// NewListCustomersHandler returns a handler reading through r.
func NewListCustomersHandler(r RefDataReader) *ListCustomersHandler {
	return &ListCustomersHandler{r: r}
}

// Handle returns up to limit customers after the key after (limit is clamped to
// 1..paging.MaxLimit, 0 means paging.DefaultLimit). Next is the id of the page's
// last customer when more may follow (the port makes the cursor of it).
func (h *ListCustomersHandler) Handle(ctx context.Context, after string, limit int) (paging.Page[Customer], error) {
	limit = clampLimit(limit)
	items, err := h.r.Customers(ctx, after, limit+1)
	if err != nil {
		return paging.Page[Customer]{}, fmt.Errorf("list customers: %w", err)
	}
	return paging.NewPage(items, limit, func(last Customer) string { return last.CustomerID }), nil
}

// Search returns up to limit customers whose name contains q (case-insensitively),
// ordered by name (then id), after the key after (an encoded CustomerNameKey, ""
// for the first page); Next is the key of the page's last customer when more may
// follow. A key that is not one is paging.ErrInvalidCursor.
func (h *ListCustomersHandler) Search(ctx context.Context, q, after string, limit int) (paging.Page[Customer], error) {
	key, ok := ParseCustomerNameKey(after)
	if !ok {
		return paging.Page[Customer]{}, paging.ErrInvalidCursor
	}
	limit = clampLimit(limit)
	items, keys, err := h.r.SearchCustomers(ctx, q, key, limit+1)
	if err != nil {
		return paging.Page[Customer]{}, fmt.Errorf("search customers: %w", err)
	}
	page := paging.Page[Customer]{Items: items}
	if len(items) > limit {
		page = paging.Page[Customer]{Items: items[:limit], Next: keys[limit-1].String()}
	}
	return page, nil
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return paging.DefaultLimit
	case limit > paging.MaxLimit:
		return paging.MaxLimit
	}
	return limit
}
