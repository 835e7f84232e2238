package web

import (
	"net/http"
	"time"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
	"github.com/pitstop/pitstop/webapp/internal/gateway"
)

const auditlogService = "audit log"

// auditLog is the audit log's client over the gateway's upstream (nil without one);
// it is cheap to build, so each request builds its own.
func (h *Handlers) auditLog() *apiclient.AuditLog {
	if h.Gateway == nil {
		return nil
	}
	u := h.Gateway.Upstream(gateway.Auditlog)
	if u == nil {
		return nil
	}
	return apiclient.NewAuditLog(u)
}

// auditRow is an audit entry as the page shows it.
type auditRow struct {
	apiclient.AuditEntry
	When string
}

type auditData struct {
	Layout
	Entries []auditRow
	Query   searchQuery
	Pager   pagerLinks
}

func (h *Handlers) listAuditLog(w http.ResponseWriter, r *http.Request) {
	q := readSearchQuery(r, "/auditlog", []string{"recorded", "time", "type"}, "q", "type", "actor")
	if q.Sort == "" {
		q.Sort = "-recorded" // newest first
	}
	al := h.auditLog()
	if al == nil {
		h.offline(w, r, "auditlog", auditlogService)
		return
	}
	cursor := r.URL.Query().Get("cursor")
	page, err := al.List(r.Context(), apiclient.AuditQuery{Type: q.Get("type"), Actor: q.Get("actor"), Q: q.Get("q"), Sort: q.Sort}, cursor, 50)
	if err != nil {
		if apiclient.IsStatus(err, http.StatusBadRequest) && cursor != "" {
			seeOther(w, r, q.url(q.Sort, ""))
			return
		}
		if apiclient.IsStatus(err, http.StatusBadRequest) {
			h.errorPage(w, r, http.StatusBadRequest, "Bad search", "The audit log refused this search: "+err.Error())
			return
		}
		h.fail(w, r, "auditlog", auditlogService, "audit log", err)
		return
	}
	d := auditData{Layout: Layout{Title: "Audit log", Nav: "auditlog"}, Query: q, Pager: q.pagerTo(cursor, page.Next)}
	for _, e := range page.Items {
		d.Entries = append(d.Entries, auditRow{AuditEntry: e, When: h.when(e.Time)})
	}
	h.render(w, r, http.StatusOK, "auditlog.html", d)
}

// when is an RFC 3339 time as the pages show it, in the garage's time zone (the text
// itself when it does not parse).
func (h *Handlers) when(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.In(h.Location).Format("2006-01-02 15:04:05")
}
