// Package customerevents is the customers context's event contract.
package customerevents

// Source is the CloudEvents source of customers events.
const Source = "pitstop/customers"

// Subjects (and CloudEvents types) of customers events.
const (
	SubjectCustomerRegistered = "pitstop.customers.CustomerRegistered"
	SubjectCustomerUpdated    = "pitstop.customers.CustomerUpdated"
	// SubjectAll matches every customers event.
	SubjectAll = "pitstop.customers.>"
)

// Customer is the customer data carried by both events.
type Customer struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

// CustomerRegistered is published when a customer is registered.
type CustomerRegistered struct{ Customer }

// EventType implements events.Payload.
func (CustomerRegistered) EventType() string { return SubjectCustomerRegistered }

// EventSubject implements events.Payload.
func (e CustomerRegistered) EventSubject() string { return e.CustomerID }

// CustomerUpdated is published when a customer's data changes; it carries all fields.
type CustomerUpdated struct{ Customer }

// EventType implements events.Payload.
func (CustomerUpdated) EventType() string { return SubjectCustomerUpdated }

// EventSubject implements events.Payload.
func (e CustomerUpdated) EventSubject() string { return e.CustomerID }
