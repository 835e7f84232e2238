package adapters

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// errUnknownEvent is returned for a stored event type this version cannot replay.
var errUnknownEvent = errors.New("unknown workshop event type")

// formatTime renders a time as RFC 3339 with its own offset (fractions only if present).
func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// ToContract maps a domain event of the planning of date to its published contract.
func ToContract(date domain.PlanningDate, e domain.Event) (events.Payload, error) {
	switch e := e.(type) {
	case domain.WorkshopPlanningCreated:
		return workshopevents.WorkshopPlanningCreated{PlanningDate: e.Date.String()}, nil
	case domain.MaintenanceJobPlanned:
		return workshopevents.MaintenanceJobPlanned{
			PlanningDate: date.String(),
			JobID:        e.JobID.String(),
			StartTime:    formatTime(e.Slot.Start()),
			EndTime:      formatTime(e.Slot.End()),
			Description:  e.Description,
			Customer: workshopevents.JobCustomer{CustomerID: e.Customer.ID(), Name: e.Customer.Name(),
				TelephoneNumber: e.Customer.TelephoneNumber()},
			Vehicle: workshopevents.JobVehicle{LicenseNumber: e.Vehicle.LicenseNumber().String(),
				Brand: e.Vehicle.Brand(), Type: e.Vehicle.Type()},
		}, nil
	case domain.MaintenanceJobFinished:
		return workshopevents.MaintenanceJobFinished{
			PlanningDate:    date.String(),
			JobID:           e.JobID.String(),
			ActualStartTime: formatTime(e.Actual.Start()),
			ActualEndTime:   formatTime(e.Actual.End()),
			Notes:           e.Notes,
		}, nil
	case domain.MaintenanceJobCancelled:
		return workshopevents.MaintenanceJobCancelled{PlanningDate: date.String(), JobID: e.JobID.String(), Reason: e.Reason}, nil
	case domain.MaintenanceJobMoved:
		return workshopevents.MaintenanceJobMoved{
			PlanningDate:   date.String(),
			JobID:          e.JobID.String(),
			ToPlanningDate: e.ToDate.String(),
			ToJobID:        e.ToJobID.String(),
			StartTime:      formatTime(e.Slot.Start()),
			EndTime:        formatTime(e.Slot.End()),
		}, nil
	}
	return nil, fmt.Errorf("%w: %T", errUnknownEvent, e)
}

func parseSlot(start, end string) (domain.Timeslot, error) {
	s, err := time.Parse(time.RFC3339Nano, start)
	if err != nil {
		return domain.Timeslot{}, err
	}
	e, err := time.Parse(time.RFC3339Nano, end)
	if err != nil {
		return domain.Timeslot{}, err
	}
	return domain.NewTimeslot(s, e)
}

// FromContract maps a stored (or received) workshop event back to its domain event,
// rebuilding the value objects through their constructors.
func FromContract(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case workshopevents.SubjectWorkshopPlanningCreated:
		var c workshopevents.WorkshopPlanningCreated
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
		d, err := domain.ParsePlanningDate(c.PlanningDate)
		if err != nil {
			return nil, err
		}
		return domain.WorkshopPlanningCreated{Date: d}, nil
	case workshopevents.SubjectMaintenanceJobPlanned:
		var c workshopevents.MaintenanceJobPlanned
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
		id, err := domain.NewJobID(c.JobID)
		if err != nil {
			return nil, err
		}
		slot, err := parseSlot(c.StartTime, c.EndTime)
		if err != nil {
			return nil, err
		}
		cust, err := domain.NewJobCustomer(c.Customer.CustomerID, c.Customer.Name, c.Customer.TelephoneNumber)
		if err != nil {
			return nil, err
		}
		ln, err := domain.NewLicenseNumber(c.Vehicle.LicenseNumber)
		if err != nil {
			return nil, err
		}
		veh, err := domain.NewJobVehicle(ln, c.Vehicle.Brand, c.Vehicle.Type)
		if err != nil {
			return nil, err
		}
		return domain.MaintenanceJobPlanned{JobID: id, Slot: slot, Description: c.Description, Customer: cust, Vehicle: veh}, nil
	case workshopevents.SubjectMaintenanceJobFinished:
		var c workshopevents.MaintenanceJobFinished
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
		id, err := domain.NewJobID(c.JobID)
		if err != nil {
			return nil, err
		}
		slot, err := parseSlot(c.ActualStartTime, c.ActualEndTime)
		if err != nil {
			return nil, err
		}
		return domain.MaintenanceJobFinished{JobID: id, Actual: slot, Notes: c.Notes}, nil
	case workshopevents.SubjectMaintenanceJobCancelled:
		var c workshopevents.MaintenanceJobCancelled
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
		id, err := domain.NewJobID(c.JobID)
		if err != nil {
			return nil, err
		}
		return domain.MaintenanceJobCancelled{JobID: id, Reason: c.Reason}, nil
	case workshopevents.SubjectMaintenanceJobMoved:
		var c workshopevents.MaintenanceJobMoved
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
		id, err := domain.NewJobID(c.JobID)
		if err != nil {
			return nil, err
		}
		toID, err := domain.NewJobID(c.ToJobID)
		if err != nil {
			return nil, err
		}
		toDate, err := domain.ParsePlanningDate(c.ToPlanningDate)
		if err != nil {
			return nil, err
		}
		slot, err := parseSlot(c.StartTime, c.EndTime)
		if err != nil {
			return nil, err
		}
		return domain.MaintenanceJobMoved{JobID: id, ToDate: toDate, ToJobID: toID, Slot: slot}, nil
	}
	return nil, fmt.Errorf("%w: %q", errUnknownEvent, eventType)
}
