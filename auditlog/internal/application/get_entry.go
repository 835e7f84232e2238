package application

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// GetEntryHandler answers the query for one entry by event id.
type GetEntryHandler struct {
	repo EntryGetter
}

// NewGetEntryHandler returns a handler reading through repo.
func NewGetEntryHandler(repo EntryGetter) GetEntryHandler { return GetEntryHandler{repo: repo} }

// Handle returns the entry of eventID or an error wrapping domain.ErrEntryNotFound.
func (h GetEntryHandler) Handle(ctx context.Context, eventID uuid.UUID) (RecordedEntry, error) {
	e, err := h.repo.Get(ctx, eventID)
	if err != nil {
		return RecordedEntry{}, fmt.Errorf("get audit entry: %w", err)
	}
	return e, nil
}
