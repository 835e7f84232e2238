// Package customerevents is the customers context's event contract.
package customerevents

// Source is the CloudEvents source of customers events.
const Source = "pitstop/customers"

// Subjects (and CloudEvents types) of customers events.
const (
	SubjectCustomerRegistered = "pitstop.customers.CustomerRegistered"
	SubjectCustomerUpdated    = "pitstop.customers.CustomerUpdated"
	// SubjectCustomerStateTransferred is the state-transfer event of `pitstop republish`.
	SubjectCustomerStateTransferred = "pitstop.customers.CustomerStateTransferred"
	// SubjectAll matches every customers event.
	SubjectAll = "pitstop.customers.>"
)

// Customer is the customer data carried by every customers event.
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

// CustomerStateTransferred carries a customer's current state, re-emitted by the
// customers context on an operator's request (`pitstop republish --context customers`,
// customers.Republish) so that a read model can be rebuilt after the stream's retention
// dropped the original events. It is not a change: its body is CustomerUpdated's (all
// fields), its pitstop-seq continues the customer's sequence (so it is ordered after
// every earlier event of that customer), and a consumer applies it as an upsert of the
// whole customer.
type CustomerStateTransferred struct{ Customer }

// EventType implements events.Payload.
func (CustomerStateTransferred) EventType() string { return SubjectCustomerStateTransferred }

// EventSubject implements events.Payload.
func (e CustomerStateTransferred) EventSubject() string { return e.CustomerID }
