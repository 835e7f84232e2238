package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Customer is the customers API's representation. Version is the stored version
// (0 when unknown, e.g. in the workshop's reference data); an update sends it back as
// If-Match so that a stale write is refused (412).
type Customer struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
	Version         int    `json:"version,omitempty"`
}

// Customers is the client of /api/customers.
type Customers struct{ c client }

// NewCustomers returns the client sending its requests through rt.
func NewCustomers(rt http.RoundTripper) *Customers { return &Customers{newClient("customers", rt)} }

// CustomerQuery narrows and orders a customer list: Q searches name and e-mail
// address, City is a city prefix, Sort one of name, city, customerId (- for
// descending); empty members are not sent.
type CustomerQuery struct {
	Q, City, Sort string
}

// List returns one page of customers.
func (c *Customers) List(ctx context.Context, cursor string, limit int) (Page[Customer], error) {
	return c.Search(ctx, CustomerQuery{}, cursor, limit)
}

// Search returns one page of the customers matching q, in its order.
func (c *Customers) Search(ctx context.Context, q CustomerQuery, cursor string, limit int) (Page[Customer], error) {
	query := pageQuery(cursor, limit)
	setNonEmpty(query, "q", q.Q)
	setNonEmpty(query, "city", q.City)
	setNonEmpty(query, "sort", q.Sort)
	var p Page[Customer]
	err := c.c.do(ctx, http.MethodGet, "/api/customers", query, nil, &p)
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
	in.Version = 0
	err := c.c.do(ctx, http.MethodPost, "/api/customers", nil, in, &out)
	return out, err
}

// Update replaces the data of customer in.CustomerID. With in.Version > 0 it is stored
// only if the customer is still at that version (If-Match); otherwise the answer is a
// 412 *Problem and nothing is stored.
func (c *Customers) Update(ctx context.Context, in Customer) (Customer, error) {
	var out Customer
	cl := c.c
	if in.Version > 0 {
		cl = cl.withHeader("If-Match", ETag(in.Version))
	}
	in.Version = 0
	err := cl.do(ctx, http.MethodPut, "/api/customers/"+url.PathEscape(in.CustomerID), nil, in, &out)
	return out, err
}

// ETag is the entity tag of version: the number in quotes.
func ETag(version int) string { return strconv.Quote(strconv.Itoa(version)) }

func setNonEmpty(q url.Values, name, value string) {
	if value != "" {
		q.Set(name, value)
	}
}

// headerTransport sets headers on every request and records the answer's ETag.
type headerTransport struct {
	rt   http.RoundTripper
	set  http.Header
	etag *string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.set) > 0 {
		r = r.Clone(r.Context())
		for k, v := range t.set {
			r.Header[k] = v
		}
	}
	rt := t.rt
	if rt == nil {
		rt = http.DefaultTransport
	}
	res, err := rt.RoundTrip(r)
	if err == nil && t.etag != nil {
		*t.etag = res.Header.Get("ETag")
	}
	return res, err
}

// withHeader is c sending header k: v on its requests.
func (c client) withHeader(k, v string) client {
	return c.wrap(http.Header{http.CanonicalHeaderKey(k): {v}}, nil)
}

// wrap is c sending set on its requests and storing the answers' ETag in etag (if
// not nil).
func (c client) wrap(set http.Header, etag *string) client {
	hc := *c.http
	hc.Transport = headerTransport{rt: c.http.Transport, set: set, etag: etag}
	c.http = &hc
	return c
}
