package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Filter selects audit entries. Its zero value selects every entry.
type Filter struct {
	eventType string
	subject   string
	actor     string
	query     string
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
	// Actor is matched exactly against the event's actor.
	Actor string
	// Query is searched for, ignoring case, in the event's type, subject and actor and
	// in every string value of its body. At most MaxQueryLength characters, of which
	// leading and trailing white space is then ignored; a query of white space only
	// selects every entry.
	Query string
	// From is the earliest event time selected (inclusive).
	From time.Time
	// To is the end of the selected event times (exclusive); it must be after From.
	To time.Time
}

// MaxQueryLength is the longest search text (Query) in characters.
const MaxQueryLength = 200

// NewFilter validates in: type, subject and actor must be storable text (valid UTF-8
// without NUL, at most 1024 bytes, since no event can have longer ones), the query
// valid UTF-8 without NUL of at most MaxQueryLength characters (before trimming), and To, when both are
// set, after From. The error is a *ValidationError wrapping ErrInvalidFilter, whose
// fields are the query parameters: type, subject, actor, q, to.
func NewFilter(in FilterInput) (Filter, error) {
	verr := &ValidationError{Of: ErrInvalidFilter}
	checkText(verr, "type", in.Type)
	checkText(verr, "subject", in.Subject)
	checkText(verr, "actor", in.Actor)
	switch {
	case !utf8.ValidString(in.Query):
		verr.Add("q", "is not valid UTF-8")
	case strings.ContainsRune(in.Query, 0):
		verr.Add("q", "contains a NUL character")
	case utf8.RuneCountInString(in.Query) > MaxQueryLength:
		verr.Add("q", "is longer than 200 characters")
	}
	if !in.From.IsZero() && !in.To.IsZero() && !in.To.After(in.From) {
		verr.Add("to", "must be after from")
	}
	if err := verr.OrNil(); err != nil {
		return Filter{}, err
	}
	return Filter{eventType: in.Type, subject: in.Subject, actor: in.Actor, query: strings.TrimSpace(in.Query),
		from: in.From, to: in.To}, nil
}

// Type is the type criterion; empty selects every type.
func (f Filter) Type() string { return f.eventType }

// IsShortType reports whether Type is a short type name (no dots), to be matched
// against the last segment of the event type rather than the whole of it.
func (f Filter) IsShortType() bool { return f.eventType != "" && !strings.Contains(f.eventType, ".") }

// Subject is the subject criterion; empty selects every subject.
func (f Filter) Subject() string { return f.subject }

// Actor is the actor criterion; empty selects every actor (and events without one).
func (f Filter) Actor() string { return f.actor }

// Query is the search text, trimmed; empty searches nothing (selects every entry).
func (f Filter) Query() string { return f.query }

// From is the inclusive lower bound of the event time; zero when unbounded.
func (f Filter) From() time.Time { return f.from }

// To is the exclusive upper bound of the event time; zero when unbounded.
func (f Filter) To() time.Time { return f.to }

// Order is the order of a list of entries. Every order is total: entries that tie on
// its key (the same time or type) are in recording order, reversed with the key.
type Order int

// The orders, by their ?sort= names.
const (
	// ByRecording is the order in which the audit log recorded the entries, oldest
	// first ("recorded", the default).
	ByRecording Order = iota
	// ByRecordingDesc is the newest recorded first ("-recorded").
	ByRecordingDesc
	// ByTime is by event time (ce-time), earliest first ("time").
	ByTime
	// ByTimeDesc is by event time, latest first ("-time").
	ByTimeDesc
	// ByType is by event type, A to Z ("type").
	ByType
	// ByTypeDesc is by event type, Z to A ("-type").
	ByTypeDesc
)

var orderNames = []string{"recorded", "-recorded", "time", "-time", "type", "-type"}

// OrderNames lists the ?sort= values, the default first.
func OrderNames() []string { return append([]string(nil), orderNames...) }

// ParseOrder returns the order named s (one of OrderNames, exactly); "" is the
// default, ByRecording.
func ParseOrder(s string) (Order, bool) {
	if s == "" {
		return ByRecording, true
	}
	for i, n := range orderNames {
		if n == s {
			return Order(i), true
		}
	}
	return ByRecording, false
}

// String is the order's ?sort= name.
func (o Order) String() string {
	if o < 0 || int(o) >= len(orderNames) {
		return "unknown"
	}
	return orderNames[o]
}

// Descending reports whether the order runs from the largest key to the smallest.
func (o Order) Descending() bool { return strings.HasPrefix(o.String(), "-") }
