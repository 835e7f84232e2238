package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// GetJobHandler answers one job of a planning.
type GetJobHandler struct {
	repo PlanningRepository
}

// NewGetJobHandler returns a handler reading through repo.
func NewGetJobHandler(repo PlanningRepository) *GetJobHandler {
	return &GetJobHandler{repo: repo}
}

// Handle returns the job and its planning's version, or domain.ErrJobNotFound (also when
// the planning does not exist).
func (h *GetJobHandler) Handle(ctx context.Context, date domain.PlanningDate, id domain.JobID) (JobResult, error) {
	p, err := h.repo.Load(ctx, date)
	if errors.Is(err, domain.ErrPlanningNotFound) {
		return JobResult{}, fmt.Errorf("get job %s on %s: %w (%w)", id, date, domain.ErrJobNotFound, err)
	}
	if err != nil {
		return JobResult{}, fmt.Errorf("get job %s on %s: %w", id, date, err)
	}
	j, ok := p.Job(id)
	if !ok {
		return JobResult{}, fmt.Errorf("get job %s on %s: %w", id, date, domain.ErrJobNotFound)
	}
	return JobResult{Job: j, Version: p.Version()}, nil
}
