package ports

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// BasePath is where the reminders API is mounted.
const BasePath = "/api/reminders"

// HTTPHandlers serves the reminders:
//
//	GET /api/reminders?customerId=&date=&limit=&cursor=
//	    one page {items, next?} in creation order (oldest first); customerId is an exact
//	    match, date a YYYY-MM-DD business day; limit 1..200 (default 50). Invalid
//	    parameters are a 400 problem document naming each one.
//
// A reminder is {customerId, date, jobIds, messageId, createdAt, sentAt}: sentAt is when
// the mail server accepted the e-mail, null while it is pending.
type HTTPHandlers struct {
	app application.Application
	log *slog.Logger
}

// NewHTTPHandlers returns the handlers of app; log receives internal errors.
func NewHTTPHandlers(app application.Application, log *slog.Logger) *HTTPHandlers {
	if log == nil {
		log = slog.Default()
	}
	return &HTTPHandlers{app: app, log: log}
}

// Routes mounts the API on r.
func (h *HTTPHandlers) Routes(r chi.Router) {
	r.Get(BasePath, h.list)
}

// reminderResponse is the reminder representation.
type reminderResponse struct {
	CustomerID string   `json:"customerId"`
	Date       string   `json:"date"`
	JobIDs     []string `json:"jobIds"`
	MessageID  string   `json:"messageId"`
	CreatedAt  string   `json:"createdAt"`
	SentAt     *string  `json:"sentAt"`
}

func toResponse(r application.ReminderRecord) reminderResponse {
	res := reminderResponse{CustomerID: r.CustomerID, Date: r.Date.String(), JobIDs: r.JobIDs, MessageID: r.MessageID,
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano)}
	if res.JobIDs == nil {
		res.JobIDs = []string{}
	}
	if r.SentAt != nil {
		s := r.SentAt.UTC().Format(time.RFC3339Nano)
		res.SentAt = &s
	}
	return res
}

type listResponse struct {
	Items []reminderResponse `json:"items"`
	Next  string             `json:"next,omitempty"`
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := h.app.ListReminders.Handle(r.Context(), application.ListReminders{
		CustomerID: q.Get("customerId"), Date: q.Get("date"), Limit: q.Get("limit"), Cursor: q.Get("cursor"),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := listResponse{Items: make([]reminderResponse, 0, len(page.Items)), Next: page.Next}
	for _, rem := range page.Items {
		res.Items = append(res.Items, toResponse(rem))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// statusClientClosedRequest answers a request whose client went away (never read).
const statusClientClosedRequest = 499

// fail translates an error from the application into a problem document. It is the one
// place where this port maps errors to HTTP statuses.
func (h *HTTPHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	var verr *domain.ValidationError
	switch {
	case errors.As(err, &verr):
		pv := &problem.ValidationError{}
		for _, f := range verr.Fields {
			pv.Add(f.Field, f.Detail)
		}
		problem.Validation(w, r, pv)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		problem.Write(w, r, problem.Problem{Status: statusClientClosedRequest, Title: "Client Closed Request"})
	default:
		h.log.ErrorContext(r.Context(), "notifications request failed", "err", err,
			"request_id", middleware.GetReqID(r.Context()), "method", r.Method, "path", r.URL.Path)
		problem.Status(w, r, http.StatusInternalServerError, "internal error")
	}
}
