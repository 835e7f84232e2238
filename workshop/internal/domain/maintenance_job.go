package domain

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field length limits of a maintenance job.
const (
	MaxJobIDLength       = 64
	MaxDescriptionLength = 2000
	MaxNotesLength       = 4000
	MaxNameLength        = 200
	// MaxReasonLength bounds the optional reason a job is cancelled for.
	MaxReasonLength = 500
)

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// JobID identifies a maintenance job within its planning: 1 to 64 characters of letters,
// digits, '.', '_' and '-', starting with a letter or digit (a UUID fits).
type JobID struct {
	s string
}

// NewJobID validates s; an invalid id is an *InvalidValueError for field "jobId".
func NewJobID(s string) (JobID, error) {
	if len(s) > MaxJobIDLength || !jobIDPattern.MatchString(s) {
		return JobID{}, invalid("jobId", fmt.Sprintf("must be 1-%d letters, digits, '.', '_' or '-'", MaxJobIDLength))
	}
	return JobID{s: s}, nil
}

// String returns the id.
func (id JobID) String() string { return id.s }

// checkText validates a free-text field: not blank when required, at most maxLen
// characters, valid UTF-8, and no control characters (multi-line text may hold tabs
// and line breaks).
func checkText(field, s string, maxLen int, required, multiline bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalid(field, "is required")
	}
	if utf8.RuneCountInString(s) > maxLen {
		return invalid(field, fmt.Sprintf("must be at most %d characters", maxLen))
	}
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

// JobCustomer is the customer a job is done for, as known when the job was planned.
type JobCustomer struct {
	id, name, telephoneNumber string
}

// NewJobCustomer validates that every field is present, not too long and single-line;
// it returns the *InvalidValueError of every bad field joined.
func NewJobCustomer(customerID, name, telephoneNumber string) (JobCustomer, error) {
	if err := errors.Join(
		checkText("customerId", customerID, MaxNameLength, true, false),
		checkText("name", name, MaxNameLength, true, false),
		checkText("telephoneNumber", telephoneNumber, MaxNameLength, true, false),
	); err != nil {
		return JobCustomer{}, err
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

// NewJobVehicle validates that the licence number is set and that brand and type are
// present, not too long and single-line; it returns every bad field's error joined.
func NewJobVehicle(licenseNumber LicenseNumber, brand, typ string) (JobVehicle, error) {
	var missing error
	if licenseNumber.s == "" {
		missing = invalid("licenseNumber", "is required")
	}
	if err := errors.Join(missing,
		checkText("brand", brand, MaxNameLength, true, false),
		checkText("type", typ, MaxNameLength, true, false),
	); err != nil {
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
	// cancelReason is set when the job is Cancelled (it may be empty).
	cancelReason string
	// movedToDate and movedToID say where a Moved job went.
	movedToDate PlanningDate
	movedToID   JobID
}

// NewMaintenanceJob builds a job to be planned (status Planned). Every part is required;
// the description may span lines. Bad fields are *InvalidValueErrors, joined. Whether it fits a planning is decided by WorkshopPlanning.PlanMaintenanceJob.
func NewMaintenanceJob(id JobID, slot Timeslot, description string, customer JobCustomer, vehicle JobVehicle) (MaintenanceJob, error) {
	var errs []error
	if id.s == "" {
		errs = append(errs, invalid("jobId", "is required"))
	}
	if slot.start.IsZero() {
		errs = append(errs, invalid("slot", "is required"))
	}
	if customer.id == "" {
		errs = append(errs, invalid("customer", "is required"))
	}
	if vehicle.licenseNumber.s == "" {
		errs = append(errs, invalid("vehicle", "is required"))
	}
	errs = append(errs, checkText("description", description, MaxDescriptionLength, true, true))
	if err := errors.Join(errs...); err != nil {
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

// Status is Planned, Completed, Cancelled or Moved.
func (j MaintenanceJob) Status() JobStatus { return j.status }

// CancellationReason is the reason given when the job was cancelled; ok is false unless
// the job is Cancelled (the reason may be empty).
func (j MaintenanceJob) CancellationReason() (reason string, ok bool) {
	return j.cancelReason, j.status == StatusCancelled
}

// MovedTo is the day and id the job was moved to; ok is false unless the job is Moved.
func (j MaintenanceJob) MovedTo() (date PlanningDate, id JobID, ok bool) {
	return j.movedToDate, j.movedToID, j.status == StatusMoved
}

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
