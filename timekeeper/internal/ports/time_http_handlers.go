// Package ports holds the timekeeper's driving ports: the HTTP API and the midnight
// scheduler that starts each business day.
package ports

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/timekeeper/internal/application"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// BasePath is where the timekeeper API is mounted.
const BasePath = "/api/time"

// HTTPHandlers serves the timekeeper API:
//
//	GET  /api/time       the current business day: 200 {date, startedAt, timeZone};
//	                     404 before the first day has started
//	POST /api/time/days  start the day after the current one now (demos, tests):
//	                     201 {date, startedAt, timeZone}; concurrent requests start
//	                     consecutive days, each once; 409 after 9999-12-31
//
// A request body, if any, is ignored. Other methods are 405, other paths 404, both as
// problem documents.
type HTTPHandlers struct {
	app     application.Application
	loc     *time.Location
	log     *slog.Logger
	errs    *problem.Translator
	metrics *Metrics
}

// NewHTTPHandlers returns the handlers of app; times are rendered in loc, log receives
// internal errors and metrics counts the days started (both may be nil).
func NewHTTPHandlers(app application.Application, loc *time.Location, log *slog.Logger, metrics *Metrics) *HTTPHandlers {
	if log == nil {
		log = slog.Default()
	}
	if loc == nil {
		loc = time.UTC
	}
	return &HTTPHandlers{app: app, loc: loc, log: log, errs: errorResponses(log), metrics: metrics}
}

// Routes mounts the API on r.
func (h *HTTPHandlers) Routes(r chi.Router) {
	r.Get(BasePath, h.current)
	r.Post(BasePath+"/days", h.startNext)
}

// businessDayResponse is the business day representation.
type businessDayResponse struct {
	Date      string `json:"date"`
	StartedAt string `json:"startedAt"`
	TimeZone  string `json:"timeZone"`
}

func (h *HTTPHandlers) response(d domain.BusinessDay) businessDayResponse {
	return businessDayResponse{Date: d.Date().String(), StartedAt: d.StartedAt().In(h.loc).Format(time.RFC3339Nano),
		TimeZone: h.loc.String()}
}

func (h *HTTPHandlers) current(w http.ResponseWriter, r *http.Request) {
	day, err := h.app.GetCurrentDay.Handle(r.Context())
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, h.response(day))
}

// startNext starts the next business day. With ?after=YYYY-MM-DD it does so only while
// that is still the current day (409 otherwise), so a retried request starts one day.
func (h *HTTPHandlers) startNext(w http.ResponseWriter, r *http.Request) {
	var after domain.Date
	if s := r.URL.Query().Get("after"); s != "" {
		d, err := domain.ParseDate(s)
		if err != nil {
			pv := &problem.ValidationError{}
			pv.Add("after", "must be a date YYYY-MM-DD")
			h.errs.Respond(w, r, pv)
			return
		}
		after = d
	}
	res, err := h.app.StartNextDay.HandleIf(r.Context(), after)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	h.metrics.dayStarted(triggerAPI)
	h.log.InfoContext(r.Context(), "business day started", "date", res.Day.Date().String(), "trigger", triggerAPI,
		"event_id", res.EventID.String(), "request_id", middleware.GetReqID(r.Context()))
	w.Header().Set("Location", BasePath)
	httpx.WriteJSON(w, http.StatusCreated, h.response(res.Day))
}

// errorResponses maps the timekeeper context's own errors; problem.Translator does the
// rest (field errors, 499, 500).
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("timekeeper", log,
		problem.Is(domain.ErrNoBusinessDay, problem.Problem{Status: http.StatusNotFound}),
		problem.Is(domain.ErrDateOutOfRange, problem.Problem{
			Type:   "https://pitstop.example/problems/business-rule-violation",
			Title:  "Business rule violated",
			Status: http.StatusConflict,
			Detail: "The calendar ends at 9999-12-31; no later business day can start.",
		}),
		problem.Is(domain.ErrDayMovedOn, problem.Problem{
			Type:   "https://pitstop.example/problems/business-day-moved-on",
			Title:  "Business day moved on",
			Status: http.StatusConflict,
			Detail: "The business day is no longer the one given in 'after'; nothing was started.",
		}),
	)
}
