package application

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// HistoryEntry is one job on one planning day in the maintenance history read model.
// Times are RFC 3339 as planned. The optional parts are set by status: the actual times
// and notes when Completed, the reason when Cancelled, where it went when Moved.
type HistoryEntry struct {
	PlanningDate       string
	JobID              string
	StartTime          string
	EndTime            string
	StartAt            time.Time
	Description        string
	Status             string
	ActualStartTime    *string
	ActualEndTime      *string
	Notes              *string
	CancellationReason *string
	MovedToDate        *string
	MovedToJobID       *string
	CustomerID         string
	CustomerName       string
	CustomerTelephone  string
	LicenseNumber      string
	Brand              string
	VehicleType        string
}

// HistoryKey is the position of an entry in the history's order (newest first: planning
// date, then start, then job id, all descending). The zero key is the start of the list.
type HistoryKey struct {
	PlanningDate string
	StartAt      time.Time
	JobID        string
}

// String encodes the key for a cursor: date|start (UTC, RFC 3339 nano)|job id.
func (k HistoryKey) String() string {
	if k.PlanningDate == "" {
		return ""
	}
	return k.PlanningDate + "|" + k.StartAt.UTC().Format(time.RFC3339Nano) + "|" + k.JobID
}

// ParseHistoryKey decodes a key made by String; anything else is paging.ErrInvalidCursor.
func ParseHistoryKey(s string) (HistoryKey, error) {
	if s == "" {
		return HistoryKey{}, nil
	}
	parts := strings.Split(s, "|")
	if len(parts) != 3 {
		return HistoryKey{}, paging.ErrInvalidCursor
	}
	d, err := domain.ParsePlanningDate(parts[0])
	if err != nil {
		return HistoryKey{}, paging.ErrInvalidCursor
	}
	at, err := time.Parse(time.RFC3339Nano, parts[1])
	if err != nil {
		return HistoryKey{}, paging.ErrInvalidCursor
	}
	if _, err := domain.NewJobID(parts[2]); err != nil {
		return HistoryKey{}, paging.ErrInvalidCursor
	}
	return HistoryKey{PlanningDate: d.String(), StartAt: at, JobID: parts[2]}, nil
}

// HistoryFilter selects the history of one vehicle (LicenseNumber, upper-cased) or of
// one customer (CustomerID); exactly one is set.
type HistoryFilter struct {
	LicenseNumber string
	CustomerID    string
}

// HistoryReader reads the maintenance history read model.
type HistoryReader interface {
	// JobHistory returns up to limit entries matching f after key after, newest first.
	JobHistory(ctx context.Context, f HistoryFilter, after HistoryKey, limit int) ([]HistoryEntry, error)
}

// ErrInvalidHistoryFilter is returned when not exactly one of the filter's fields is set.
var ErrInvalidHistoryFilter = errors.New("exactly one of licenseNumber and customerId is required")

// JobHistoryHandler answers the maintenance history of a vehicle or a customer across
// days.
type JobHistoryHandler struct {
	r HistoryReader
}

// NewJobHistoryHandler returns a handler reading through r.
func NewJobHistoryHandler(r HistoryReader) *JobHistoryHandler { return &JobHistoryHandler{r: r} }

// Handle returns up to limit entries (clamped like the other lists) after the key after;
// Next is the key (HistoryKey.String) of the page's last entry when more may follow.
func (h *JobHistoryHandler) Handle(ctx context.Context, f HistoryFilter, after HistoryKey, limit int) (paging.Page[HistoryEntry], error) {
	if (f.LicenseNumber == "") == (f.CustomerID == "") {
		return paging.Page[HistoryEntry]{}, ErrInvalidHistoryFilter
	}
	f.LicenseNumber = strings.ToUpper(f.LicenseNumber)
	limit = clampLimit(limit)
	items, err := h.r.JobHistory(ctx, f, after, limit+1)
	if err != nil {
		return paging.Page[HistoryEntry]{}, fmt.Errorf("job history: %w", err)
	}
	return paging.NewPage(items, limit, func(last HistoryEntry) string {
		return HistoryKey{PlanningDate: last.PlanningDate, StartAt: last.StartAt, JobID: last.JobID}.String()
	}), nil
}
