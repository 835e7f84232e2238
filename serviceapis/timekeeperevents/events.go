// Package timekeeperevents is the timekeeper context's event contract.
package timekeeperevents

// Source is the CloudEvents source of timekeeper events.
const Source = "pitstop/timekeeper"

// SubjectDayHasPassed is the subject (and CloudEvents type) of DayHasPassed.
const SubjectDayHasPassed = "pitstop.timekeeper.DayHasPassed"

// DayHasPassed is published when a new business day begins; Date (YYYY-MM-DD) is the new day.
type DayHasPassed struct {
	Date string `json:"date"`
}

// EventType implements events.Payload.
func (DayHasPassed) EventType() string { return SubjectDayHasPassed }

// EventSubject implements events.Payload.
func (e DayHasPassed) EventSubject() string { return e.Date }
