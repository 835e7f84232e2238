package apiclient

import (
	"context"
	"net/http"
	"net/url"
)

// Money is an amount in integer cents of a currency (ISO 4217 code, e.g. EUR).
type Money struct {
	Currency string `json:"currency"`
	Cents    int64  `json:"cents"`
}

// InvoiceCustomer is the snapshot of the customer an invoice is addressed to.
type InvoiceCustomer struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	PostalCode string `json:"postalCode"`
	City       string `json:"city"`
}

// InvoiceLine is one invoiced job: its planning date, vehicle, description, actual
// times (RFC 3339), hours worked (two decimals, for display) and amount.
type InvoiceLine struct {
	JobID           string `json:"jobId"`
	Date            string `json:"date"`
	LicenseNumber   string `json:"licenseNumber"`
	Description     string `json:"description"`
	ActualStartTime string `json:"actualStartTime"`
	ActualEndTime   string `json:"actualEndTime"`
	Hours           string `json:"hours"`
	Amount          Money  `json:"amount"`
}

// Invoice is the invoicing API's representation. SentAt (RFC 3339) is when the mail
// to the print company was accepted, nil while it is pending.
type Invoice struct {
	InvoiceID     string          `json:"invoiceId"`
	InvoiceNumber string          `json:"invoiceNumber"`
	InvoiceDate   string          `json:"invoiceDate"`
	DueDate       string          `json:"dueDate"`
	CustomerID    string          `json:"customerId"`
	Customer      InvoiceCustomer `json:"customer"`
	JobIDs        []string        `json:"jobIds"`
	Lines         []InvoiceLine   `json:"lines"`
	Amount        Money           `json:"amount"`
	SentAt        *string         `json:"sentAt"`
}

// Invoicing is the client of /api/invoices.
type Invoicing struct{ c client }

// NewInvoicing returns the client sending its requests through rt.
func NewInvoicing(rt http.RoundTripper) *Invoicing { return &Invoicing{newClient("invoicing", rt)} }

// List returns one page of invoices in number order, only customerID's when it is not
// empty.
func (i *Invoicing) List(ctx context.Context, cursor, customerID string, limit int) (Page[Invoice], error) {
	q := pageQuery(cursor, limit)
	if customerID != "" {
		q.Set("customerId", customerID)
	}
	var p Page[Invoice]
	err := i.c.do(ctx, http.MethodGet, "/api/invoices", q, nil, &p)
	return p, err
}

// Get returns one invoice (a 404 *Problem when unknown).
func (i *Invoicing) Get(ctx context.Context, id string) (Invoice, error) {
	var out Invoice
	err := i.c.do(ctx, http.MethodGet, "/api/invoices/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}
