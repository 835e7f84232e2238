// Package application holds the customers context's use cases, one file per command
// and per query. Handlers load through a repository, call the domain and save; the
// repository owns the transaction in which the customer row and its outbox events
// commit together. Events are built here (events.New) so that the domain stays free of
// messaging concerns and the adapters stay free of business decisions.
package application

import (
	"time"

	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
)

// Repository is every storage operation the use cases need; the Postgres adapter
// implements it.
type Repository interface {
	CustomerRegistrar
	CustomerUpdater
	CustomerGetter
	CustomerLister
}

// Application groups the context's use cases; the driving ports call its fields.
type Application struct {
	RegisterCustomer RegisterCustomerHandler
	UpdateCustomer   UpdateCustomerHandler
	GetCustomer      GetCustomerHandler
	ListCustomers    ListCustomersHandler
}

// New builds the use cases on repo; now stamps the events' time (time.Now if nil).
func New(repo Repository, now func() time.Time) Application {
	if now == nil {
		now = time.Now
	}
	return Application{
		RegisterCustomer: NewRegisterCustomerHandler(repo, now),
		UpdateCustomer:   NewUpdateCustomerHandler(repo, now),
		GetCustomer:      NewGetCustomerHandler(repo),
		ListCustomers:    NewListCustomersHandler(repo),
	}
}

// contract renders a customer as the event contract's customer data.
func contract(c domain.Customer) customerevents.Customer {
	return customerevents.Customer{
		CustomerID:      c.ID().String(),
		Name:            c.Name(),
		Address:         c.Address(),
		PostalCode:      c.PostalCode(),
		City:            c.City(),
		TelephoneNumber: c.TelephoneNumber(),
		EmailAddress:    c.EmailAddress(),
	}
}
