package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// RecordCustomer keeps invoicing's copy of a customer up to date from a
// CustomerRegistered or CustomerUpdated event.
type RecordCustomer struct {
	Customer domain.CustomerDetails
	Version  SourceVersion
}

// RecordCustomerHandler handles RecordCustomer. It is order-tolerant and idempotent: an
// event older than the stored row changes nothing (newer wins by event time, then
// event id), the same event twice changes nothing.
type RecordCustomerHandler struct{}

// Handle writes through w (bound to the consumer's transaction) and reports whether the
// row changed. Unusable data is a *domain.ValidationError wrapping
// domain.ErrInvalidCustomer.
func (RecordCustomerHandler) Handle(ctx context.Context, w ReadModelWriter, cmd RecordCustomer) (bool, error) {
	c, err := domain.NewCustomer(cmd.Customer)
	if err != nil {
		return false, fmt.Errorf("record customer %q: %w", cmd.Customer.CustomerID, err)
	}
	written, err := w.UpsertCustomer(ctx, c, cmd.Version)
	if err != nil {
		return false, fmt.Errorf("record customer %s: %w", c.ID(), err)
	}
	return written, nil
}
