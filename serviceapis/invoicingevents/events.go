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

// InvoicedJob names a billed job: the workshop makes job ids unique per planning day
// only, so a job is its planning date (YYYY-MM-DD) and its id.
type InvoicedJob struct {
	PlanningDate string `json:"planningDate"`
	JobID        string `json:"jobId"`
}

// InvoiceCreated is published when an invoice is created for a customer. JobIDs and
// Jobs list the billed jobs in line order; an id may appear twice in JobIDs (the same
// id on two days), Jobs tells them apart (absent from events published before it
// existed).
type InvoiceCreated struct {
	InvoiceID   string        `json:"invoiceId"`
	InvoiceDate string        `json:"invoiceDate"`
	CustomerID  string        `json:"customerId"`
	JobIDs      []string      `json:"jobIds"`
	Jobs        []InvoicedJob `json:"jobs,omitempty"`
	Amount      Money         `json:"amount"`
}

// EventType implements events.Payload.
func (InvoiceCreated) EventType() string { return SubjectInvoiceCreated }

// EventSubject implements events.Payload.
func (e InvoiceCreated) EventSubject() string { return e.InvoiceID }
