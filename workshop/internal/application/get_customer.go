package application

import (
	"context"
	"fmt"
)

// GetCustomerHandler answers one customer of the read model.
type GetCustomerHandler struct {
	r RefDataReader
}

// NewGetCustomerHandler returns a handler reading through r.
func NewGetCustomerHandler(r RefDataReader) *GetCustomerHandler { return &GetCustomerHandler{r: r} }

// Handle returns the customer or ErrCustomerNotFound.
func (h *GetCustomerHandler) Handle(ctx context.Context, id string) (Customer, error) {
	c, err := h.r.Customer(ctx, id)
	if err != nil {
		return Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}
