package adapters

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// PlanningMemoryRepository is an in-memory event store with the same semantics as
// PlanningPostgresRepository (replay through apply, expected-version check), for tests
// that need the application without Postgres. It has no outbox. Safe for concurrent use.
type PlanningMemoryRepository struct {
	mu      sync.Mutex
	streams map[domain.PlanningDate][]domain.Event
}

// NewPlanningMemoryRepository returns an empty store.
func NewPlanningMemoryRepository() *PlanningMemoryRepository {
	return &PlanningMemoryRepository{streams: map[domain.PlanningDate][]domain.Event{}}
}

// Load replays the planning of date or returns domain.ErrPlanningNotFound.
func (r *PlanningMemoryRepository) Load(_ context.Context, date domain.PlanningDate) (*domain.WorkshopPlanning, error) {
	r.mu.Lock()
	history := slices.Clone(r.streams[date])
	r.mu.Unlock()
	if len(history) == 0 {
		return nil, fmt.Errorf("load planning %s: %w", date, domain.ErrPlanningNotFound)
	}
	return domain.RehydratePlanning(date, history)
}

// Save appends p's changes if the stream is still at p.Version(), else it returns
// domain.ErrConcurrencyConflict.
func (r *PlanningMemoryRepository) Save(ctx context.Context, p *domain.WorkshopPlanning) error {
	return r.SaveAll(ctx, p)
}

// SaveAll appends the changes of every planning if every stream is still at its
// planning's version; otherwise it stores nothing and returns
// domain.ErrConcurrencyConflict.
func (r *PlanningMemoryRepository) SaveAll(_ context.Context, ps ...*domain.WorkshopPlanning) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		if got := len(r.streams[p.Date()]); got != p.Version() {
			return fmt.Errorf("save planning %s at version %d (stream at %d): %w", p.Date(), p.Version(), got, domain.ErrConcurrencyConflict)
		}
	}
	for _, p := range ps {
		r.streams[p.Date()] = append(r.streams[p.Date()], p.Changes()...)
	}
	return nil
}
