package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// The reminder e-mail's fixed parts.
const (
	// ReminderFrom is the sender of every reminder.
	ReminderFrom = "noreply@pitstop.example"
	// ReminderSubject is the subject of every reminder.
	ReminderSubject = "Vehicle maintenance reminder"
	// messageIDDomain is the right-hand side of every reminder's Message-ID.
	messageIDDomain = "pitstop.example"
)

// Mail is an e-mail to send: ID is its stable Message-ID without angle brackets, so
// that the same mail always has the same ID and a retry is recognisable.
type Mail struct {
	ID      string
	From    string
	To      []string
	Subject string
	Text    string
}

// Reminder tells one customer about their maintenance jobs of one business day. The
// zero value is not valid; use NewReminder.
type Reminder struct {
	customer Customer
	date     Date
	seq      int
	jobs     []Job
}

// NewReminder builds the seq-th reminder (from 1) of customer c for date, listing jobs
// in order of start time (then job id). Every job must be c's and planned on date, and
// listed once; there must be at least one. seq is above 1 only when jobs of the same
// day become known after the day's first reminder: each reminder needs its own
// Message-ID. The error wraps ErrInvalidReminder.
func NewReminder(c Customer, date Date, seq int, jobs []Job) (Reminder, error) {
	switch {
	case c.ID() == "":
		return Reminder{}, fmt.Errorf("%w: no customer", ErrInvalidReminder)
	case date.IsZero():
		return Reminder{}, fmt.Errorf("%w: no date", ErrInvalidReminder)
	case seq < 1:
		return Reminder{}, fmt.Errorf("%w: sequence number %d is not positive", ErrInvalidReminder, seq)
	case len(jobs) == 0:
		return Reminder{}, fmt.Errorf("%w: no jobs", ErrInvalidReminder)
	}
	seen := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		switch {
		case j.ID() == "":
			return Reminder{}, fmt.Errorf("%w: a job without an id", ErrInvalidReminder)
		case j.CustomerID() != c.ID():
			return Reminder{}, fmt.Errorf("%w: job %s is customer %s's, not %s's", ErrInvalidReminder, j.ID(), j.CustomerID(), c.ID())
		case j.PlanningDate() != date:
			return Reminder{}, fmt.Errorf("%w: job %s is planned on %s, not %s", ErrInvalidReminder, j.ID(), j.PlanningDate(), date)
		case seen[j.ID()]:
			return Reminder{}, fmt.Errorf("%w: job %s listed twice", ErrInvalidReminder, j.ID())
		}
		seen[j.ID()] = true
	}
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b Job) int {
		if c := a.Start().Compare(b.Start()); c != 0 {
			return c
		}
		return strings.Compare(a.ID(), b.ID())
	})
	return Reminder{customer: c, date: date, seq: seq, jobs: sorted}, nil
}

// Customer is whom the reminder is for.
func (r Reminder) Customer() Customer { return r.customer }

// Date is the business day the reminded jobs are planned on.
func (r Reminder) Date() Date { return r.date }

// Seq is the reminder's number among the customer's reminders of Date, from 1.
func (r Reminder) Seq() int { return r.seq }

// Jobs are the reminded jobs, by start time.
func (r Reminder) Jobs() []Job { return slices.Clone(r.jobs) }

// JobIDs are the reminded jobs' ids, in the order of Jobs.
func (r Reminder) JobIDs() []string {
	ids := make([]string, len(r.jobs))
	for i, j := range r.jobs {
		ids[i] = j.ID()
	}
	return ids
}

// MessageID is the reminder e-mail's stable Message-ID (without angle brackets):
// "reminder.<customerId>.<date>@pitstop.example", with ".<seq>" before the "@" from
// the second reminder of a day on. A customer id that is not made of letters, digits,
// '-' and '_' (at most 64) is replaced by "h=" and a hash of it, so the Message-ID is
// always valid and still stable.
func (r Reminder) MessageID() string {
	id := "reminder." + messageIDPart(r.customer.ID()) + "." + r.date.String()
	if r.seq > 1 {
		id += fmt.Sprintf(".%d", r.seq)
	}
	return id + "@" + messageIDDomain
}

var safeIDPart = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func messageIDPart(customerID string) string {
	if safeIDPart.MatchString(customerID) {
		return customerID
	}
	sum := sha256.Sum256([]byte(customerID))
	return "h=" + hex.EncodeToString(sum[:16])
}

// Mail is the reminder e-mail: from ReminderFrom to the customer, subject
// ReminderSubject, a plain-text body that lists every job with its date, its time
// (start-end, in the garage's local time as planned), its description and the vehicle's
// licence number.
func (r Reminder) Mail() Mail {
	var b strings.Builder
	name := flatten(r.customer.Name())
	if name == "" {
		name = "customer"
	}
	fmt.Fprintf(&b, "Dear %s,\n\n", name)
	b.WriteString("We would like to remind you that you have an appointment with us for maintenance on your vehicle(s):\n\n")
	for _, j := range r.jobs {
		fmt.Fprintf(&b, "- %s %s-%s: %s (vehicle with licence number %s)\n",
			j.PlanningDate(), j.Start().Format("15:04"), j.End().Format("15:04"), flatten(j.Description()), flatten(j.LicenseNumber()))
	}
	b.WriteString("\nPlease make sure you are present at least 10 minutes before the (first) job is planned.\n")
	b.WriteString("Once arrived, you can notify your arrival at our front desk.\n\n")
	b.WriteString("Greetings,\n\nThe Pitstop crew\n")
	return Mail{
		ID:      r.MessageID(),
		From:    ReminderFrom,
		To:      []string{r.customer.EmailAddress()},
		Subject: ReminderSubject,
		Text:    b.String(),
	}
}

// flatten turns every run of control characters and spaces into one space, so that a
// description cannot break the body's layout.
func flatten(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }), " ")
}
