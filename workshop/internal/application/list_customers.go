package application

import (
	"context"
	"fmt"
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
// 1..MaxPageSize, 0 means DefaultPageSize). Next is set when more may follow.
func (h *ListCustomersHandler) Handle(ctx context.Context, after string, limit int) (Page[Customer], error) {
	limit = clampLimit(limit)
	items, err := h.r.Customers(ctx, after, limit+1)
	if err != nil {
		return Page[Customer]{}, fmt.Errorf("list customers: %w", err)
	}
	page := Page[Customer]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.Next = items[limit-1].CustomerID
	}
	return page, nil
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}
