package web

import (
	"context"
	"net/http"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// historyLimit caps the maintenance history shown on a vehicle's or customer's page;
// a "more" link pages on.
const historyLimit = 10

// historyRow is a job of the maintenance history as the pages show it.
type historyRow struct {
	jobView
}

// maintenanceHistory is the section of a vehicle's or customer's page: its jobs on
// every day, newest first, or why they cannot be shown.
type maintenanceHistory struct {
	Rows    []historyRow
	MoreURL string
	Problem string
}

// history loads one page of q's maintenance history; the rest of the page works
// without it. base is the page's path, cursor the history page to show.
func (h *Handlers) history(ctx context.Context, q apiclient.HistoryQuery, base, cursor string) maintenanceHistory {
	page, err := h.Workshop.History(ctx, q, cursor, historyLimit)
	if err != nil && cursor != "" && apiclient.IsStatus(err, http.StatusBadRequest) {
		page, err = h.Workshop.History(ctx, q, "", historyLimit)
	}
	if err != nil {
		h.Log.WarnContext(ctx, "maintenance history", "err", err)
		return maintenanceHistory{Problem: "The workshop service is offline, so the maintenance history cannot be shown; try again soon."}
	}
	var m maintenanceHistory
	for _, it := range page.Items {
		m.Rows = append(m.Rows, historyRow{h.jobView(it.PlanningDate, it.Job)})
	}
	if page.Next != "" {
		m.MoreURL = base + "?history=" + page.Next + "#history"
	}
	return m
}
