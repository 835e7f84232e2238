package ports

import (
	"context"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/workshop/internal/application"
)

// RefDataConsumerName is the durable consumer (and inbox key) of the reference data.
const RefDataConsumerName = "workshop-refdata"

// RefDataSubjects are the events the reference-data consumer receives.
var RefDataSubjects = []string{customerevents.SubjectAll, vehicleevents.SubjectAll}

// RefDataEventHandlers keeps the customers and vehicles read model from the customers
// and vehicles contexts' events. Its Handle is bound to the consumer's transaction by
// messaging.Bind: the effect commits together with the inbox row, so a redelivered
// event changes nothing, and each row only moves forward in event time, so reordered
// events converge on the newest data.
type RefDataEventHandlers struct {
	customers application.RecordCustomerHandler
	vehicles  application.RecordVehicleHandler
}

// NewRefDataEventHandlers returns the handlers.
func NewRefDataEventHandlers() *RefDataEventHandlers { return &RefDataEventHandlers{} }

// Handle applies one event through w, bound to the consumer's transaction. Undecodable
// or unusable events are permanent failures (dead-lettered at once); event types it
// does not know are acknowledged and ignored.
func (h *RefDataEventHandlers) Handle(ctx context.Context, w application.RefDataWriter, ev events.Envelope) error {
	v := application.SourceVersion{Time: ev.Time, EventID: ev.ID, Seq: ev.Seq}
	var err error
	switch ev.Type {
	case customerevents.SubjectCustomerRegistered, customerevents.SubjectCustomerUpdated, customerevents.SubjectCustomerStateTransferred:
		var c customerevents.Customer
		if err = ev.Decode(&c); err != nil {
			break
		}
		err = h.customers.Handle(ctx, w, application.RecordCustomer{Version: v, Customer: application.Customer{
			CustomerID: c.CustomerID, Name: c.Name, Address: c.Address, PostalCode: c.PostalCode, City: c.City,
			TelephoneNumber: c.TelephoneNumber, EmailAddress: c.EmailAddress}})
	case vehicleevents.SubjectVehicleRegistered, vehicleevents.SubjectVehicleUpdated, vehicleevents.SubjectVehicleStateTransferred:
		var veh vehicleevents.Vehicle
		if err = ev.Decode(&veh); err != nil {
			break
		}
		err = h.vehicles.Handle(ctx, w, application.RecordVehicle{Version: v, Vehicle: application.Vehicle{
			LicenseNumber: veh.LicenseNumber, Brand: veh.Brand, Type: veh.Type, OwnerID: veh.OwnerID}})
	default:
		return nil
	}
	return messaging.Permanent(err, events.ErrMalformed, application.ErrInvalidReferenceEvent)
}
