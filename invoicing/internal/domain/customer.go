package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field names used in validation errors; they are the names of the events' fields.
const (
	FieldCustomerID      = "customerId"
	FieldName            = "name"
	FieldAddress         = "address"
	FieldPostalCode      = "postalCode"
	FieldCity            = "city"
	FieldJobID           = "jobId"
	FieldPlanningDate    = "planningDate"
	FieldDescription     = "description"
	FieldLicenseNumber   = "licenseNumber"
	FieldStartTime       = "startTime"
	FieldEndTime         = "endTime"
	FieldActualStartTime = "actualStartTime"
	FieldActualEndTime   = "actualEndTime"
	FieldToPlanningDate  = "toPlanningDate"
)

// CustomerDetails are the customer data an invoice needs, as the customers context
// published them.
type CustomerDetails struct {
	CustomerID string
	Name       string
	Address    string
	PostalCode string
	City       string
}

// Customer is invoicing's copy of a customer: who an invoice is addressed to. The
// customers context validated the data; invoicing only refuses what it cannot store
// or print safely (a missing id, invalid UTF-8, control characters). The zero value is
// not a valid customer; use NewCustomer.
type Customer struct {
	d CustomerDetails
}

// NewCustomer checks d; the error is a *ValidationError wrapping ErrInvalidCustomer.
func NewCustomer(d CustomerDetails) (Customer, error) {
	verr := &ValidationError{Of: ErrInvalidCustomer}
	required(verr, FieldCustomerID, d.CustomerID)
	printable(verr, FieldName, d.Name)
	printable(verr, FieldAddress, d.Address)
	printable(verr, FieldPostalCode, d.PostalCode)
	printable(verr, FieldCity, d.City)
	if err := verr.OrNil(); err != nil {
		return Customer{}, err
	}
	return Customer{d: d}, nil
}

// ID is the customer id of the customers context.
func (c Customer) ID() string { return c.d.CustomerID }

// Name is the customer's name.
func (c Customer) Name() string { return c.d.Name }

// Address is the street address.
func (c Customer) Address() string { return c.d.Address }

// PostalCode is the postal code.
func (c Customer) PostalCode() string { return c.d.PostalCode }

// City is the city.
func (c Customer) City() string { return c.d.City }

// Details returns all fields.
func (c Customer) Details() CustomerDetails { return c.d }

// required records an error when s is blank, or not printable.
func required(verr *ValidationError, field, s string) {
	if strings.TrimSpace(s) == "" {
		verr.Add(field, "is required")
		return
	}
	printable(verr, field, s)
}

// printable records an error when s is not valid UTF-8 or holds control characters
// (NUL cannot be stored; line breaks have no place in an address block or a header).
func printable(verr *ValidationError, field, s string) {
	switch {
	case !utf8.ValidString(s):
		verr.Add(field, "must be valid UTF-8")
	case strings.ContainsFunc(s, unicode.IsControl):
		verr.Add(field, "must not contain control characters")
	}
}
