// Package invoicingevents is the invoicing context's event contract.
package invoicingevents

// Source is the CloudEvents source of invoicing events.
const Source = "pitstop/invoicing"

// SubjectInvoiceCreated is the subject (and CloudEvents type) of InvoiceCreated.
const SubjectInvoiceCreated = "pitstop.invoicing.InvoiceCreated"

// Money is an amount in integer minor units.
type Money struct {
	Currency string `json:"currency"`
	Cents    int64  `json:"cents"`
}

// InvoiceCreated is published when an invoice is created for a customer.
type InvoiceCreated struct {
	InvoiceID   string   `json:"invoiceId"`
	InvoiceDate string   `json:"invoiceDate"`
	CustomerID  string   `json:"customerId"`
	JobIDs      []string `json:"jobIds"`
	Amount      Money    `json:"amount"`
}

// EventType implements events.Payload.
func (InvoiceCreated) EventType() string { return SubjectInvoiceCreated }

// EventSubject implements events.Payload.
func (e InvoiceCreated) EventSubject() string { return e.InvoiceID }
