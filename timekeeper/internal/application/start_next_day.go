package application

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// StartNextDayResult is the outcome of StartNextDay.
type StartNextDayResult struct {
	// Day is the business day that began.
	Day domain.BusinessDay
	// EventID is the id of its DayHasPassed event.
	EventID uuid.UUID
}

// StartNextDayHandler begins the day after the current business day now, whatever the
// clock says: for demos, Postman collections and end-to-end tests.
type StartNextDayHandler struct {
	repo CalendarUpdater
	now  domain.Clock
	loc  *time.Location
}

// NewStartNextDayHandler returns a handler storing through repo.
func NewStartNextDayHandler(repo CalendarUpdater, now domain.Clock, loc *time.Location) StartNextDayHandler {
	return StartNextDayHandler{repo: repo, now: now, loc: loc}
}

// Handle starts the day after the current business day (today, in the configured zone,
// when none has started yet) and adds its DayHasPassed to the outbox in the same
// transaction. Concurrent calls serialise: n calls start n consecutive days, each once.
// The error wraps domain.ErrDateOutOfRange after 9999-12-31.
//
// The midnight scheduler then starts nothing until the real date passes the day
// started here: the calendar never goes back and never starts a day twice.
func (h StartNextDayHandler) Handle(ctx context.Context) (StartNextDayResult, error) {
	return h.HandleIf(ctx, domain.Date{})
}

// HandleIf is Handle, but only while the current business day is after (a zero after
// means unconditionally): it fails with domain.ErrDayMovedOn when another day has been
// started meanwhile, so that a retried or double-clicked "start the next day" starts
// one day, not two. The check runs under the calendar's row lock.
func (h StartNextDayHandler) HandleIf(ctx context.Context, after domain.Date) (StartNextDayResult, error) {
	at := h.now()
	var res StartNextDayResult
	_, err := h.repo.Update(ctx, func(c *domain.Calendar) ([]events.Envelope, error) {
		if !after.IsZero() {
			if cur, ok := c.Current(); !ok || cur.Date() != after {
				return nil, domain.ErrDayMovedOn
			}
		}
		day, err := c.StartNextDay(domain.DateOf(at, h.loc), at)
		if err != nil {
			return nil, err
		}
		ev, err := dayHasPassed(day)
		if err != nil {
			return nil, err
		}
		res = StartNextDayResult{Day: day, EventID: ev.ID}
		return []events.Envelope{ev}, nil
	})
	if err != nil {
		return StartNextDayResult{}, fmt.Errorf("start next business day: %w", err)
	}
	return res, nil
}
