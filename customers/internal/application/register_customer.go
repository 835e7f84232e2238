package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
)

// RegisterCustomer is the command to register a new customer.
type RegisterCustomer struct {
	// CustomerID is the client-supplied id (any form uuid.Parse accepts). Empty means
	// the service picks one. Supplying it makes the command idempotent.
	CustomerID string
	// Details are the customer's contact data, validated and trimmed by the domain.
	Details domain.Details
}

// RegisterCustomerResult is the outcome of a successful RegisterCustomer.
type RegisterCustomerResult struct {
	// Customer is the registered customer (the stored one on a replay).
	Customer domain.Customer
	// Version is the stored customer's version (1 for a new one).
	Version int64
	// Created is true when this command stored the customer, false when it repeated an
	// earlier registration with the same id and the same data (nothing was stored).
	Created bool
}

// CustomerRegistrar is the storage RegisterCustomerHandler needs.
type CustomerRegistrar interface {
	// Add stores a new customer and its events in one transaction. When the id is
	// already taken it stores nothing and returns an error wrapping
	// domain.ErrCustomerExists (also when a concurrent registration won the race).
	Add(ctx context.Context, c domain.Customer, evs ...events.Envelope) error
	// Get returns the customer with id and its version, or an error wrapping
	// domain.ErrCustomerNotFound.
	Get(ctx context.Context, id uuid.UUID) (VersionedCustomer, error)
}

// RegisterCustomerHandler registers customers and publishes CustomerRegistered.
type RegisterCustomerHandler struct {
	repo CustomerRegistrar
	now  func() time.Time
}

// NewRegisterCustomerHandler returns a handler storing through repo.
func NewRegisterCustomerHandler(repo CustomerRegistrar, now func() time.Time) RegisterCustomerHandler {
	return RegisterCustomerHandler{repo: repo, now: now}
}

// Handle registers the customer and its CustomerRegistered event atomically.
//
// Errors: a *domain.ValidationError listing every invalid field (customerId included);
// domain.ErrCustomerConflict when the id belongs to a customer with different data.
// Repeating a registration with the same id and the same (trimmed) data returns the
// stored customer with Created false and stores nothing, so clients may retry.
func (h RegisterCustomerHandler) Handle(ctx context.Context, cmd RegisterCustomer) (RegisterCustomerResult, error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidCustomer}
	id := uuid.New()
	if cmd.CustomerID != "" {
		parsed, err := uuid.Parse(cmd.CustomerID)
		if err != nil {
			verr.Add(domain.FieldCustomerID, "must be a UUID")
		} else {
			id = parsed
		}
	}
	c, err := domain.NewCustomer(id, cmd.Details)
	if err != nil && !verr.Merge(err) {
		return RegisterCustomerResult{}, err
	}
	if err := verr.OrNil(); err != nil {
		return RegisterCustomerResult{}, err
	}

	ev, err := events.New(customerevents.Source, customerevents.CustomerRegistered{Customer: contract(c)}, h.now())
	if err != nil {
		return RegisterCustomerResult{}, err
	}
	err = h.repo.Add(ctx, c, ev)
	if err == nil {
		return RegisterCustomerResult{Customer: c, Version: 1, Created: true}, nil
	}
	if !errors.Is(err, domain.ErrCustomerExists) {
		return RegisterCustomerResult{}, fmt.Errorf("register customer %s: %w", id, err)
	}
	// The id is taken: this is a retry (same data) or a different customer (conflict).
	existing, err := h.repo.Get(ctx, id)
	if err != nil {
		return RegisterCustomerResult{}, fmt.Errorf("register customer %s: read existing: %w", id, err)
	}
	if existing.Customer.Details() != c.Details() {
		return RegisterCustomerResult{}, fmt.Errorf("register customer %s: %w", id, domain.ErrCustomerConflict)
	}
	return RegisterCustomerResult{Customer: existing.Customer, Version: existing.Version, Created: false}, nil
}
