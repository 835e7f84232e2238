package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// GetCurrentDayHandler answers the GetCurrentDay query.
type GetCurrentDayHandler struct {
	repo CalendarGetter
}

// NewGetCurrentDayHandler returns a handler reading through repo.
func NewGetCurrentDayHandler(repo CalendarGetter) GetCurrentDayHandler {
	return GetCurrentDayHandler{repo: repo}
}

// Handle returns the current business day, or an error wrapping
// domain.ErrNoBusinessDay before the first one has started.
func (h GetCurrentDayHandler) Handle(ctx context.Context) (domain.BusinessDay, error) {
	cal, err := h.repo.Calendar(ctx)
	if err != nil {
		return domain.BusinessDay{}, fmt.Errorf("get current business day: %w", err)
	}
	day, ok := cal.Current()
	if !ok {
		return domain.BusinessDay{}, fmt.Errorf("get current business day: %w", domain.ErrNoBusinessDay)
	}
	return day, nil
}
