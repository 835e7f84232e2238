package application

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// StartCurrentDayResult is the outcome of StartCurrentDay.
type StartCurrentDayResult struct {
	// Day is the current business day afterwards: today, or a later day that was
	// already started (by StartNextDay).
	Day domain.BusinessDay
	// Started is true when this call began Day and added its DayHasPassed to the
	// outbox; false when Day had already started (by an earlier run or another replica).
	Started bool
	// EventID is the id of the DayHasPassed event when Started.
	EventID uuid.UUID
}

// StartCurrentDayHandler starts today's business day if it has not started yet. It
// runs on start-up (after downtime only the current day is started: missed days are
// not replayed) and at every local midnight.
type StartCurrentDayHandler struct {
	repo CalendarUpdater
	now  domain.Clock
	loc  *time.Location
}

// NewStartCurrentDayHandler returns a handler storing through repo; today is the date
// of now() in loc.
func NewStartCurrentDayHandler(repo CalendarUpdater, now domain.Clock, loc *time.Location) StartCurrentDayHandler {
	return StartCurrentDayHandler{repo: repo, now: now, loc: loc}
}

// Handle starts today (the clock's date in the configured zone) and adds DayHasPassed
// to the outbox in the same transaction, unless today or a later day is already the
// current business day, in which case it stores nothing. Concurrent calls, in one
// process or several, start a day at most once.
func (h StartCurrentDayHandler) Handle(ctx context.Context) (StartCurrentDayResult, error) {
	at := h.now()
	today := domain.DateOf(at, h.loc)
	var res StartCurrentDayResult
	cal, err := h.repo.Update(ctx, func(c *domain.Calendar) ([]events.Envelope, error) {
		res = StartCurrentDayResult{}
		day, started, err := c.CatchUp(today, at)
		if err != nil || !started {
			return nil, err
		}
		ev, err := dayHasPassed(day)
		if err != nil {
			return nil, err
		}
		res.Started, res.EventID = true, ev.ID
		return []events.Envelope{ev}, nil
	})
	if err != nil {
		return StartCurrentDayResult{}, fmt.Errorf("start business day %s: %w", today, err)
	}
	res.Day, _ = cal.Current()
	return res, nil
}
