package domain

import (
	"strings"
	"time"
)

// Filter selects audit entries. Its zero value selects every entry.
type Filter struct {
	eventType string
	subject   string
	from, to  time.Time
}

// FilterInput holds a query's criteria; empty strings and zero times mean "any".
type FilterInput struct {
	// Type is a full event type (pitstop.customers.CustomerRegistered), matched
	// exactly, or a short one without dots (CustomerRegistered), matched against the
	// last dot-separated segment of the type.
	Type string
	// Subject is matched exactly against the event's subject.
	Subject string
	// From is the earliest event time selected (inclusive).
	From time.Time
	// To is the end of the selected event times (exclusive); it must be after From.
	To time.Time
}

// NewFilter validates in: type and subject must be storable text (valid UTF-8 without
// NUL, at most 1024 bytes, since no event can have longer ones) and To, when both are
// set, after From. The error is a *ValidationError wrapping ErrInvalidFilter.
func NewFilter(in FilterInput) (Filter, error) {
	verr := &ValidationError{Of: ErrInvalidFilter}
	checkText(verr, "type", in.Type)
	checkText(verr, "subject", in.Subject)
	if !in.From.IsZero() && !in.To.IsZero() && !in.To.After(in.From) {
		verr.Add("to", "must be after from")
	}
	if err := verr.OrNil(); err != nil {
		return Filter{}, err
	}
	return Filter{eventType: in.Type, subject: in.Subject, from: in.From, to: in.To}, nil
}

// Type is the type criterion; empty selects every type.
func (f Filter) Type() string { return f.eventType }

// IsShortType reports whether Type is a short type name (no dots), to be matched
// against the last segment of the event type rather than the whole of it.
func (f Filter) IsShortType() bool { return f.eventType != "" && !strings.Contains(f.eventType, ".") }

// Subject is the subject criterion; empty selects every subject.
func (f Filter) Subject() string { return f.subject }

// From is the inclusive lower bound of the event time; zero when unbounded.
func (f Filter) From() time.Time { return f.from }

// To is the exclusive upper bound of the event time; zero when unbounded.
func (f Filter) To() time.Time { return f.to }
