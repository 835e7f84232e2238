package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// RecordCustomer keeps the notifications context's copy of a customer's contact data
// up to date from a CustomerRegistered or CustomerUpdated event.
type RecordCustomer struct {
	Customer domain.CustomerDetails
	Version  SourceVersion
}

// RecordCustomerResult is what RecordCustomer did.
type RecordCustomerResult struct {
	// Written is false when the stored row came from a newer (or the same) event.
	Written bool
	// Reminded are the reminders of the current business day that were waiting for
	// this customer.
	Reminded Reminded
}

// RecordCustomerHandler handles RecordCustomer. It is order-tolerant and idempotent: an
// event older than the stored row changes nothing (newer wins by event time, then event
// id), the same event twice changes nothing.
type RecordCustomerHandler struct {
	remind reminder
}

// Handle writes through s (bound to the consumer's transaction). When the customer's
// data arrives after their jobs' business day began (a CustomerRegistered delivered
// after the DayHasPassed), their jobs of the current business day that are still due
// are reminded now; jobs of a day that is over are not (a late reminder is no
// reminder). Unusable data is a *domain.ValidationError wrapping
// domain.ErrInvalidCustomer.
func (h RecordCustomerHandler) Handle(ctx context.Context, s Store, cmd RecordCustomer) (RecordCustomerResult, error) {
	c, err := domain.NewCustomer(cmd.Customer)
	if err != nil {
		return RecordCustomerResult{}, fmt.Errorf("record customer %q: %w", cmd.Customer.CustomerID, err)
	}
	written, err := s.UpsertCustomer(ctx, c, cmd.Version)
	if err != nil {
		return RecordCustomerResult{}, fmt.Errorf("record customer %s: %w", c.ID(), err)
	}
	if !written {
		return RecordCustomerResult{}, nil
	}
	reminded, err := h.remind.remindToday(ctx, s, c.ID(), domain.Date{})
	if err != nil {
		return RecordCustomerResult{}, fmt.Errorf("record customer %s: %w", c.ID(), err)
	}
	return RecordCustomerResult{Written: true, Reminded: reminded}, nil
}
