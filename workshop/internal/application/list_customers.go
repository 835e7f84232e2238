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

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return paging.DefaultLimit
	case limit > paging.MaxLimit:
		return paging.MaxLimit
	}
	return limit
}
