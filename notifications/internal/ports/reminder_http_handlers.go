package ports

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/notifications/internal/application"
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
		h.errs.Respond(w, r, err)
		return
	}
	res := listResponse{Items: make([]reminderResponse, 0, len(page.Items)), Next: page.Next}
	for _, rem := range page.Items {
		res.Items = append(res.Items, toResponse(rem))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// errorResponses answers the notifications API's errors: problem.Translator does it
// all (field errors, 499, 500); the context maps none of its own.
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("notifications", log)
}
