package apiclient

import (
	"context"
	"net/http"
	"net/url"
)

// Customer is the customers API's representation.
type Customer struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

// Customers is the client of /api/customers.
type Customers struct{ c client }

// NewCustomers returns the client sending its requests through rt.
func NewCustomers(rt http.RoundTripper) *Customers { return &Customers{newClient("customers", rt)} }

// List returns one page of customers.
func (c *Customers) List(ctx context.Context, cursor string, limit int) (Page[Customer], error) {
	var p Page[Customer]
	err := c.c.do(ctx, http.MethodGet, "/api/customers", pageQuery(cursor, limit), nil, &p)
	return p, err
}

// All returns up to max customers, following the pages.
func (c *Customers) All(ctx context.Context, max int) ([]Customer, error) {
	return all(ctx, max, func(ctx context.Context, cursor string) (Page[Customer], error) {
		return c.List(ctx, cursor, 200)
	})
}

// Get returns one customer (a 404 *Problem when unknown).
func (c *Customers) Get(ctx context.Context, id string) (Customer, error) {
	var out Customer
	err := c.c.do(ctx, http.MethodGet, "/api/customers/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Register registers in; in.CustomerID makes it idempotent (the same id and data again
// returns the existing customer).
func (c *Customers) Register(ctx context.Context, in Customer) (Customer, error) {
	var out Customer
	err := c.c.do(ctx, http.MethodPost, "/api/customers", nil, in, &out)
	return out, err
}

// Update replaces the data of customer in.CustomerID.
func (c *Customers) Update(ctx context.Context, in Customer) (Customer, error) {
	var out Customer
	err := c.c.do(ctx, http.MethodPut, "/api/customers/"+url.PathEscape(in.CustomerID), nil, in, &out)
	return out, err
}
