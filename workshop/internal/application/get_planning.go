package application

import (
	"context"
	"fmt"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// GetPlanningHandler answers the planning of a date from its event stream.
type GetPlanningHandler struct {
	repo PlanningRepository
}

// NewGetPlanningHandler returns a handler reading through repo.
func NewGetPlanningHandler(repo PlanningRepository) *GetPlanningHandler {
	return &GetPlanningHandler{repo: repo}
}

// Handle returns the planning of date or domain.ErrPlanningNotFound.
func (h *GetPlanningHandler) Handle(ctx context.Context, date domain.PlanningDate) (*domain.WorkshopPlanning, error) {
	p, err := h.repo.Load(ctx, date)
	if err != nil {
		return nil, fmt.Errorf("get planning %s: %w", date, err)
	}
	return p, nil
}
