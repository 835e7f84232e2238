package application

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// CustomerGetter is the storage GetCustomerHandler needs.
type CustomerGetter interface {
	// Get returns the customer with id and its version, or an error wrapping
	// domain.ErrCustomerNotFound.
	Get(ctx context.Context, id uuid.UUID) (VersionedCustomer, error)
}

// GetCustomerHandler answers the GetCustomer query.
type GetCustomerHandler struct {
	repo CustomerGetter
}

// NewGetCustomerHandler returns a handler reading through repo.
func NewGetCustomerHandler(repo CustomerGetter) GetCustomerHandler {
	return GetCustomerHandler{repo: repo}
}

// Handle returns the customer with id and its version, or an error wrapping
// domain.ErrCustomerNotFound.
func (h GetCustomerHandler) Handle(ctx context.Context, id uuid.UUID) (VersionedCustomer, error) {
	c, err := h.repo.Get(ctx, id)
	if err != nil {
		return VersionedCustomer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}
