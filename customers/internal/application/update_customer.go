package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/shared-go/precondition"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
)

// UpdateCustomer is the command to replace a customer's contact data.
type UpdateCustomer struct {
	// CustomerID is the customer to update (from the resource address).
	CustomerID uuid.UUID
	// RepeatedCustomerID is the customer id repeated in the request body, if the client
	// sent one; when present it must denote CustomerID.
	RepeatedCustomerID string
	// Details are the customer's new contact data (all fields, as in a registration).
	Details domain.Details
	// Precondition is what the stored version must satisfy (Unconditional by default).
	Precondition precondition.Precondition
}

// CustomerUpdater is the storage UpdateCustomerHandler needs.
type CustomerUpdater interface {
	// Update locks the customer with id, lets fn change it (fn is given the stored
	// version) and return the events to record, and stores the changed customer with
	// those events and its version increased by one in one transaction. When fn
	// returns no events the customer is unchanged and nothing is written. When fn fails
	// nothing is stored and its error is returned. An unknown id yields an error
	// wrapping domain.ErrCustomerNotFound. fn must not do I/O: it runs inside the
	// transaction. It returns the customer as stored afterwards, with its version.
	Update(ctx context.Context, id uuid.UUID,
		fn func(c *domain.Customer, version int64) ([]events.Envelope, error)) (VersionedCustomer, error)
}

// UpdateCustomerHandler updates customers and publishes CustomerUpdated.
type UpdateCustomerHandler struct {
	repo CustomerUpdater
	now  func() time.Time
}

// NewUpdateCustomerHandler returns a handler storing through repo.
func NewUpdateCustomerHandler(repo CustomerUpdater, now func() time.Time) UpdateCustomerHandler {
	return UpdateCustomerHandler{repo: repo, now: now}
}

// Handle replaces the customer's details. It records a CustomerUpdated event only when
// something changed; an update to the same data is accepted, records nothing and keeps
// the version. The precondition is checked against the locked row, so of two updates
// that name the same version exactly one can succeed.
//
// Errors: domain.ErrCustomerNotFound (before the precondition: an unknown customer is
// not found whatever If-Match says); ErrStaleCustomer when the precondition does not
// hold (nothing is stored); a *domain.ValidationError listing every invalid field.
func (h UpdateCustomerHandler) Handle(ctx context.Context, cmd UpdateCustomer) (VersionedCustomer, error) {
	// Validate before touching storage so that bad input never costs a transaction.
	verr := &domain.ValidationError{Of: domain.ErrInvalidCustomer}
	if cmd.RepeatedCustomerID != "" {
		if id, err := uuid.Parse(cmd.RepeatedCustomerID); err != nil || id != cmd.CustomerID {
			verr.Add(domain.FieldCustomerID, "must be the id of the customer being updated, or be left out")
		}
	}
	if _, err := domain.ValidateDetails(cmd.Details); err != nil && !verr.Merge(err) {
		return VersionedCustomer{}, err
	}
	if err := verr.OrNil(); err != nil {
		return VersionedCustomer{}, err
	}
	c, err := h.repo.Update(ctx, cmd.CustomerID, func(c *domain.Customer, version int64) ([]events.Envelope, error) {
		if !cmd.Precondition.Holds(version) {
			return nil, ErrStaleCustomer
		}
		changed, err := c.Update(cmd.Details)
		if err != nil || !changed {
			return nil, err
		}
		ev, err := events.New(customerevents.Source, customerevents.CustomerUpdated{Customer: contract(*c)}, h.now())
		if err != nil {
			return nil, err
		}
		return []events.Envelope{ev}, nil
	})
	if err != nil {
		return VersionedCustomer{}, fmt.Errorf("update customer %s: %w", cmd.CustomerID, err)
	}
	return c, nil
}
