package domain

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Field length limits of a maintenance job.
const (
	MaxJobIDLength       = 64
	MaxDescriptionLength = 2000
	MaxNotesLength       = 4000
	MaxNameLength        = 200
)

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// JobID identifies a maintenance job within its planning: 1 to 64 characters of letters,
// digits, '.', '_' and '-', starting with a letter or digit (a UUID fits).
type JobID struct {
	s string
}

// NewJobID validates s; an invalid id wraps ErrInvalidValue.
func NewJobID(s string) (JobID, error) {
	if len(s) > MaxJobIDLength || !jobIDPattern.MatchString(s) {
		return JobID{}, fmt.Errorf("%w: job id must be 1-%d letters, digits, '.', '_' or '-'", ErrInvalidValue, MaxJobIDLength)
	}
	return JobID{s: s}, nil
}

// String returns the id.
func (id JobID) String() string { return id.s }

func requiredText(field, s string, maxLen int) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidValue, field)
	}
	if utf8.RuneCountInString(s) > maxLen {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidValue, field, maxLen)
	}
	return nil
}

// JobCustomer is the customer a job is done for, as known when the job was planned.
type JobCustomer struct {
	id, name, telephoneNumber string
}

// NewJobCustomer validates that every field is present and not too long.
func NewJobCustomer(customerID, name, telephoneNumber string) (JobCustomer, error) {
	for _, f := range []struct{ field, v string }{{"customerId", customerID}, {"name", name}, {"telephoneNumber", telephoneNumber}} {
		if err := requiredText(f.field, f.v, MaxNameLength); err != nil {
			return JobCustomer{}, err
		}
	}
	return JobCustomer{id: customerID, name: name, telephoneNumber: telephoneNumber}, nil
}

// ID is the customer's id.
func (c JobCustomer) ID() string { return c.id }

// Name is the customer's name.
func (c JobCustomer) Name() string { return c.name }

// TelephoneNumber is the customer's telephone number.
func (c JobCustomer) TelephoneNumber() string { return c.telephoneNumber }

// JobVehicle is the vehicle a job is done on, as known when the job was planned.
type JobVehicle struct {
	licenseNumber LicenseNumber
	brand, typ    string
}

// NewJobVehicle validates that brand and type are present and not too long.
func NewJobVehicle(licenseNumber LicenseNumber, brand, typ string) (JobVehicle, error) {
	if licenseNumber.s == "" {
		return JobVehicle{}, fmt.Errorf("%w: licenseNumber is required", ErrInvalidValue)
	}
	if err := requiredText("brand", brand, MaxNameLength); err != nil {
		return JobVehicle{}, err
	}
	if err := requiredText("type", typ, MaxNameLength); err != nil {
		return JobVehicle{}, err
	}
	return JobVehicle{licenseNumber: licenseNumber, brand: brand, typ: typ}, nil
}

// LicenseNumber is the vehicle's licence number.
func (v JobVehicle) LicenseNumber() LicenseNumber { return v.licenseNumber }

// Brand is the vehicle's brand.
func (v JobVehicle) Brand() string { return v.brand }

// Type is the vehicle's type (model).
func (v JobVehicle) Type() string { return v.typ }

// MaintenanceJob is one job of a planning. Values returned by the planning are copies:
// changing a job is only possible through the planning's commands.
type MaintenanceJob struct {
	id          JobID
	slot        Timeslot
	description string
	customer    JobCustomer
	vehicle     JobVehicle
	status      JobStatus
	actual      Timeslot
	notes       string
}

// NewMaintenanceJob builds a job to be planned (status Planned). The description is
// required. Whether it fits a planning is decided by WorkshopPlanning.PlanMaintenanceJob.
func NewMaintenanceJob(id JobID, slot Timeslot, description string, customer JobCustomer, vehicle JobVehicle) (MaintenanceJob, error) {
	switch {
	case id.s == "":
		return MaintenanceJob{}, fmt.Errorf("%w: job id is required", ErrInvalidValue)
	case slot.start.IsZero():
		return MaintenanceJob{}, fmt.Errorf("%w: timeslot is required", ErrInvalidValue)
	case customer.id == "":
		return MaintenanceJob{}, fmt.Errorf("%w: customer is required", ErrInvalidValue)
	case vehicle.licenseNumber.s == "":
		return MaintenanceJob{}, fmt.Errorf("%w: vehicle is required", ErrInvalidValue)
	}
	if err := requiredText("description", description, MaxDescriptionLength); err != nil {
		return MaintenanceJob{}, err
	}
	return MaintenanceJob{id: id, slot: slot, description: description, customer: customer, vehicle: vehicle,
		status: StatusPlanned}, nil
}

// ID is the job's id, unique within its planning.
func (j MaintenanceJob) ID() JobID { return j.id }

// Slot is the planned time-slot.
func (j MaintenanceJob) Slot() Timeslot { return j.slot }

// Description says what is to be done.
func (j MaintenanceJob) Description() string { return j.description }

// Customer is the customer the job is for.
func (j MaintenanceJob) Customer() JobCustomer { return j.customer }

// Vehicle is the vehicle the job is done on.
func (j MaintenanceJob) Vehicle() JobVehicle { return j.vehicle }

// Status is Planned or Completed.
func (j MaintenanceJob) Status() JobStatus { return j.status }

// IsFinished reports whether the job is Completed.
func (j MaintenanceJob) IsFinished() bool { return j.status == StatusCompleted }

// ActualSlot is when the job was actually done; ok is false until it is finished.
func (j MaintenanceJob) ActualSlot() (slot Timeslot, ok bool) { return j.actual, j.IsFinished() }

// Notes are the mechanic's notes, set when the job is finished.
func (j MaintenanceJob) Notes() string { return j.notes }

// samePlan reports whether o plans exactly what j planned (id, slot, description,
// customer and vehicle), which makes planning it again a no-op.
func (j MaintenanceJob) samePlan(o MaintenanceJob) bool {
	return j.id == o.id && j.slot.Equal(o.slot) && j.description == o.description &&
		j.customer == o.customer && j.vehicle == o.vehicle
}
