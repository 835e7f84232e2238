// Package domain is the customers context's model: the Customer aggregate, the rules
// its data must satisfy, and the errors it reports. It imports no adapter.
package domain

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Maximum lengths, in characters (Unicode code points), of a customer's fields.
const (
	MaxNameLength            = 200
	MaxAddressLength         = 200
	MaxPostalCodeLength      = 20
	MaxCityLength            = 200
	MaxTelephoneNumberLength = 30
	// MaxEmailAddressLength is the longest deliverable address (RFC 5321 path limit).
	MaxEmailAddressLength = 254
)

// Field names used in validation errors; they are the names of the API and events.
const (
	FieldCustomerID      = "customerId"
	FieldName            = "name"
	FieldAddress         = "address"
	FieldPostalCode      = "postalCode"
	FieldCity            = "city"
	FieldTelephoneNumber = "telephoneNumber"
	FieldEmailAddress    = "emailAddress"
)

// Details are a customer's contact data. As input they may be untrimmed and invalid;
// a Customer only ever holds validated, trimmed Details.
type Details struct {
	Name            string
	Address         string
	PostalCode      string
	City            string
	TelephoneNumber string
	EmailAddress    string
}

// Customer is the customers aggregate: a person or company the garage works for,
// identified by a UUID. The zero value is not a valid customer; use NewCustomer or
// RehydrateCustomer.
type Customer struct {
	id      uuid.UUID
	details Details
}

// NewCustomer validates d and returns a customer with id. Every field is required and
// trimmed; the error is a *ValidationError listing every invalid field.
func NewCustomer(id uuid.UUID, d Details) (Customer, error) {
	verr := &ValidationError{Of: ErrInvalidCustomer}
	if id == uuid.Nil {
		verr.Add(FieldCustomerID, "must not be the nil UUID")
	}
	clean, err := ValidateDetails(d)
	verr.Merge(err)
	if err := verr.OrNil(); err != nil {
		return Customer{}, err
	}
	return Customer{id: id, details: clean}, nil
}

// RehydrateCustomer rebuilds a customer from storage without validating it again: the
// data was validated when it was stored.
func RehydrateCustomer(id uuid.UUID, d Details) Customer {
	return Customer{id: id, details: d}
}

// ValidateDetails trims every field of d and checks it; it returns the trimmed details
// or a *ValidationError listing every invalid field in a fixed order.
func ValidateDetails(d Details) (Details, error) {
	verr := &ValidationError{Of: ErrInvalidCustomer}
	clean := Details{
		Name:            text(verr, FieldName, d.Name, MaxNameLength),
		Address:         text(verr, FieldAddress, d.Address, MaxAddressLength),
		PostalCode:      text(verr, FieldPostalCode, d.PostalCode, MaxPostalCodeLength),
		City:            text(verr, FieldCity, d.City, MaxCityLength),
		TelephoneNumber: telephone(verr, d.TelephoneNumber),
		EmailAddress:    email(verr, d.EmailAddress),
	}
	if err := verr.OrNil(); err != nil {
		return Details{}, err
	}
	return clean, nil
}

// text trims s and checks it is present, printable, single-line and at most max
// characters long. It records at most one error for the field and returns the trimmed
// value.
func text(verr *ValidationError, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		verr.Add(field, "is required")
	case !utf8.ValidString(s):
		verr.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		verr.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		// Control characters (NUL, line breaks, ...) have no place in contact data and
		// would end up in e-mail headers and invoices.
		verr.Add(field, "must not contain control characters")
	default:
		return s
	}
	return s
}

func telephone(verr *ValidationError, s string) string {
	before := len(verr.Fields)
	s = text(verr, FieldTelephoneNumber, s, MaxTelephoneNumberLength)
	if len(verr.Fields) > before {
		return s
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-()./", r):
		default:
			verr.Add(FieldTelephoneNumber, "may contain only digits, spaces and + - ( ) . /")
			return s
		}
	}
	if digits == 0 {
		verr.Add(FieldTelephoneNumber, "must contain digits")
	}
	return s
}

func email(verr *ValidationError, s string) string {
	before := len(verr.Fields)
	s = text(verr, FieldEmailAddress, s, MaxEmailAddressLength)
	if len(verr.Fields) > before {
		return s
	}
	addr, err := mail.ParseAddress(s)
	switch {
	case err != nil:
		verr.Add(FieldEmailAddress, "must be a valid e-mail address")
	case addr.Name != "" || addr.Address != s:
		// net/mail accepts "Name <a@b>" and comments; we store and send to the bare
		// address only, exactly as the customer gave it.
		verr.Add(FieldEmailAddress, "must be a bare e-mail address such as name@example.com")
	case !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], "."):
		verr.Add(FieldEmailAddress, "must have a domain such as example.com")
	}
	return s
}

// ID is the customer's id.
func (c Customer) ID() uuid.UUID { return c.id }

// Name is the customer's name.
func (c Customer) Name() string { return c.details.Name }

// Address is the customer's street address.
func (c Customer) Address() string { return c.details.Address }

// PostalCode is the customer's postal code.
func (c Customer) PostalCode() string { return c.details.PostalCode }

// City is the customer's city.
func (c Customer) City() string { return c.details.City }

// TelephoneNumber is the customer's telephone number.
func (c Customer) TelephoneNumber() string { return c.details.TelephoneNumber }

// EmailAddress is the customer's bare e-mail address.
func (c Customer) EmailAddress() string { return c.details.EmailAddress }

// Details returns all of the customer's contact data.
func (c Customer) Details() Details { return c.details }

// Update replaces the customer's details with d after validating it (as NewCustomer
// does). It reports whether anything changed; on error the customer is unchanged.
func (c *Customer) Update(d Details) (changed bool, err error) {
	clean, err := ValidateDetails(d)
	if err != nil {
		return false, err
	}
	if clean == c.details {
		return false, nil
	}
	c.details = clean
	return true, nil
}
