package application

import (
	"context"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// PlanningRepository loads and saves event-sourced plannings.
type PlanningRepository interface {
	// Load replays the planning of date; domain.ErrPlanningNotFound if it has no events.
	Load(ctx context.Context, date domain.PlanningDate) (*domain.WorkshopPlanning, error)
	// Save appends the planning's Changes after its Version, atomically with their
	// outbox rows; domain.ErrConcurrencyConflict if another save got there first.
	Save(ctx context.Context, p *domain.WorkshopPlanning) error
	// SaveAll saves several plannings (of different dates) in one transaction: all of
	// them or, on any conflict (domain.ErrConcurrencyConflict), none.
	SaveAll(ctx context.Context, ps ...*domain.WorkshopPlanning) error
}
