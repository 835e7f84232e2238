// Package ports holds the auditlog context's driving ports: the HTTP query API and the
// JetStream event handler that records every event.
package ports

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// BasePath is where the auditlog API is mounted.
const BasePath = "/api/auditlog"

// HTTPHandlers serves the audit log:
//
//	GET /api/auditlog?type=&subject=&actor=&q=&from=&to=&sort=&limit=&cursor=
//	    one page {items, next?}. type is a full event type
//	    (pitstop.customers.CustomerRegistered, exact match) or a short one without
//	    dots (CustomerRegistered, matching the type's last segment); subject and actor
//	    are exact matches; q is searched for, ignoring case, in the type, subject, actor
//	    and every string value of the body (at most 200 characters, trimmed); from
//	    (inclusive) and to (exclusive) are RFC 3339 times bounding the event's time,
//	    compared at microsecond precision; sort is recorded (recording order, oldest
//	    first: the default), -recorded, time, -time (event time), type or -type (ties in
//	    recording order, reversed with the key); limit 1..200 (default 50). A cursor
//	    belongs to its sort. Invalid parameters are a 400 problem document naming each
//	    one (type, subject, actor, q, from, to, sort, limit, cursor); to not after from
//	    is invalid.
//	GET /api/auditlog/{eventId}
//	    one entry; an unknown id is 404, and so is one that is not a UUID (it cannot
//	    name an event).
//
// An entry is {eventId, type, subject, source, actor, time, data, recordedAt}: the
// CloudEvents attributes (time with the offset and precision it was published with;
// actor "" for an event published without one), the body as published, and when the
// audit log stored it.
type HTTPHandlers struct {
	app  application.Application
	errs *problem.Translator
}

// NewHTTPHandlers returns the handlers of app; log receives internal errors.
func NewHTTPHandlers(app application.Application, log *slog.Logger) *HTTPHandlers {
	return &HTTPHandlers{app: app, errs: errorResponses(log)}
}

// Routes mounts the API on r.
func (h *HTTPHandlers) Routes(r chi.Router) {
	r.Get(BasePath, h.list)
	r.Get(BasePath+"/{eventId}", h.get)
}

// entryResponse is the audit entry representation.
type entryResponse struct {
	EventID    string          `json:"eventId"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	Source     string          `json:"source"`
	Actor      string          `json:"actor"`
	Time       string          `json:"time"`
	Data       json.RawMessage `json:"data"`
	RecordedAt string          `json:"recordedAt"`
}

func toResponse(r application.RecordedEntry) entryResponse {
	e := r.Entry
	return entryResponse{EventID: e.EventID().String(), Type: e.Type(), Subject: e.Subject(), Source: e.Source(),
		Actor: e.Actor(), Time: e.Time().Format(time.RFC3339Nano), Data: e.Data(),
		RecordedAt: r.RecordedAt.UTC().Format(time.RFC3339Nano)}
}

type listResponse struct {
	Items []entryResponse `json:"items"`
	Next  string          `json:"next,omitempty"`
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := h.app.ListEntries.Handle(r.Context(), application.ListEntries{
		Type: q.Get("type"), Subject: q.Get("subject"), Actor: q.Get("actor"), Q: q.Get("q"),
		From: q.Get("from"), To: q.Get("to"), Sort: q.Get("sort"), Limit: q.Get("limit"), Cursor: q.Get("cursor"),
	})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res := listResponse{Items: make([]entryResponse, 0, len(page.Items)), Next: page.Next}
	for _, e := range page.Items {
		res.Items = append(res.Items, toResponse(e))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (h *HTTPHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "eventId"))
	if err != nil {
		h.errs.Respond(w, r, domain.ErrEntryNotFound)
		return
	}
	e, err := h.app.GetEntry.Handle(r.Context(), id)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toResponse(e))
}

// errorResponses maps the auditlog context's own errors; problem.Translator does the
// rest (field errors, 499, 500).
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("auditlog", log,
		problem.Is(domain.ErrEntryNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "audit entry not found"}),
	)
}
