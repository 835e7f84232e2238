// Package application holds the timekeeper's use cases, one file per command and per
// query: start the current business day (on start-up and at midnight), start the next
// business day on request, and read the current one. The repository owns the
// transaction in which the calendar changes and its DayHasPassed event is added to the
// outbox, and it serialises every change (across replicas), so each business day starts
// exactly once. Events are built here so that the domain stays free of messaging.
package application

import (
	"context"
	"time"

	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// Repository is every storage operation the use cases need; the Postgres adapter
// implements it.
type Repository interface {
	CalendarUpdater
	CalendarGetter
}

// CalendarUpdater changes the calendar.
type CalendarUpdater interface {
	// Update locks the calendar (every other Update, in any process, waits until this
	// one commits), calls fn with the stored calendar and, when fn started a business
	// day, stores it together with fn's events in one transaction. It returns the
	// calendar as it is afterwards. An error from fn is returned and nothing is stored.
	Update(ctx context.Context, fn func(c *domain.Calendar) ([]events.Envelope, error)) (domain.Calendar, error)
}

// CalendarGetter reads the calendar.
type CalendarGetter interface {
	// Calendar returns the stored calendar (one with no current day before the first
	// business day has started).
	Calendar(ctx context.Context) (domain.Calendar, error)
}

// Application groups the timekeeper's use cases; the driving ports call its fields.
type Application struct {
	StartCurrentDay StartCurrentDayHandler
	StartNextDay    StartNextDayHandler
	GetCurrentDay   GetCurrentDayHandler
}

// New builds the use cases on repo. now is the clock (time.Now if nil) and loc the time
// zone whose midnight begins a business day (UTC if nil).
func New(repo Repository, now domain.Clock, loc *time.Location) Application {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return Application{
		StartCurrentDay: NewStartCurrentDayHandler(repo, now, loc),
		StartNextDay:    NewStartNextDayHandler(repo, now, loc),
		GetCurrentDay:   NewGetCurrentDayHandler(repo),
	}
}

// dayHasPassed is the event announcing that day began; its time is the day's start.
func dayHasPassed(day domain.BusinessDay) (events.Envelope, error) {
	return events.New(timekeeperevents.Source, timekeeperevents.DayHasPassed{Date: day.Date().String()}, day.StartedAt())
}
