package domain

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field names used in validation errors: the names of the events' and the API's fields.
const (
	FieldCustomerID    = "customerId"
	FieldName          = "name"
	FieldEmailAddress  = "emailAddress"
	FieldJobID         = "jobId"
	FieldPlanningDate  = "planningDate"
	FieldStartTime     = "startTime"
	FieldEndTime       = "endTime"
	FieldDescription   = "description"
	FieldLicenseNumber = "licenseNumber"
	// FieldToPlanningDate is the day a job is moved to (MaintenanceJobMoved).
	FieldToPlanningDate = "toPlanningDate"
)

// Upper bounds of the data kept, in bytes. They are generous (the publishing contexts
// enforce tighter ones) and exist so that no event can carry data the store cannot
// index or a mail cannot carry.
const (
	MaxIDLength            = 200
	MaxNameLength          = 1000
	MaxEmailAddressLength  = 254
	MaxLicenseNumberLength = 100
	MaxDescriptionLength   = 10000
)

// CustomerDetails are the contact data a reminder needs, as the customers context
// published them.
type CustomerDetails struct {
	CustomerID   string
	Name         string
	EmailAddress string
}

// Customer is the notifications context's copy of a customer: whom a reminder is
// addressed to. The customers context validated the data; notifications only refuses
// what it cannot store or mail safely. The zero value is not a valid customer; use
// NewCustomer.
type Customer struct {
	d CustomerDetails
}

// NewCustomer checks d: the id is required; every field is bounded (Max...Length); the name must be printable (no control
// characters, which have no place in a salutation); the e-mail address is required and
// must be a bare address (local@domain, no display name) that net/mail accepts. The
// error is a *ValidationError wrapping ErrInvalidCustomer.
func NewCustomer(d CustomerDetails) (Customer, error) {
	verr := &ValidationError{Of: ErrInvalidCustomer}
	required(verr, FieldCustomerID, d.CustomerID)
	bounded(verr, FieldCustomerID, d.CustomerID, MaxIDLength)
	printable(verr, FieldName, d.Name)
	bounded(verr, FieldName, d.Name, MaxNameLength)
	if strings.TrimSpace(d.EmailAddress) == "" {
		verr.Add(FieldEmailAddress, "is required")
	} else if len(d.EmailAddress) > MaxEmailAddressLength {
		verr.Add(FieldEmailAddress, fmt.Sprintf("must be at most %d bytes", MaxEmailAddressLength))
	} else if a, err := mail.ParseAddress(d.EmailAddress); err != nil || a.Address != d.EmailAddress || a.Name != "" {
		verr.Add(FieldEmailAddress, "must be a bare e-mail address such as lisa@example.com")
	}
	if err := verr.OrNil(); err != nil {
		return Customer{}, err
	}
	return Customer{d: d}, nil
}

// ID is the customer id of the customers context.
func (c Customer) ID() string { return c.d.CustomerID }

// Name is the customer's name (may be empty).
func (c Customer) Name() string { return c.d.Name }

// EmailAddress is where reminders are sent.
func (c Customer) EmailAddress() string { return c.d.EmailAddress }

// Details returns all fields.
func (c Customer) Details() CustomerDetails { return c.d }

// required records an error when s is blank or not printable.
func required(verr *ValidationError, field, s string) {
	if strings.TrimSpace(s) == "" {
		verr.Add(field, "is required")
		return
	}
	printable(verr, field, s)
}

// printable records an error when s is not valid UTF-8 or holds control characters
// (NUL cannot be stored; line breaks have no place in an id, a name or a header).
func printable(verr *ValidationError, field, s string) {
	switch {
	case !utf8.ValidString(s):
		verr.Add(field, "must be valid UTF-8")
	case strings.ContainsFunc(s, unicode.IsControl):
		verr.Add(field, "must not contain control characters")
	}
}

// storable records an error when s is not valid UTF-8 or holds NUL (which Postgres text
// cannot hold); other control characters are allowed and flattened when rendered.
func storable(verr *ValidationError, field, s string) {
	switch {
	case !utf8.ValidString(s):
		verr.Add(field, "must be valid UTF-8")
	case strings.ContainsRune(s, 0):
		verr.Add(field, "must not contain NUL characters")
	}
}

// bounded records an error when s is longer than max bytes.
func bounded(verr *ValidationError, field, s string, limit int) {
	if len(s) > limit {
		verr.Add(field, fmt.Sprintf("must be at most %d bytes", limit))
	}
}
