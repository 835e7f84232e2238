package ports

import (
	"log/slog"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// PlanningUseCases are the application handlers the planning API drives.
type PlanningUseCases struct {
	Plan        *application.PlanMaintenanceJobHandler
	Finish      *application.FinishMaintenanceJobHandler
	Cancel      *application.CancelMaintenanceJobHandler
	Move        *application.MoveMaintenanceJobHandler
	GetPlanning *application.GetPlanningHandler
	GetJob      *application.GetJobHandler
	History     *application.JobHistoryHandler
}

// PlanningHTTPHandlers serves /api/workshopplanning.
type PlanningHTTPHandlers struct {
	uc   PlanningUseCases
	errs *problem.Translator
}

// NewPlanningHTTPHandlers returns the planning API over uc.
func NewPlanningHTTPHandlers(uc PlanningUseCases, log *slog.Logger) *PlanningHTTPHandlers {
	return &PlanningHTTPHandlers{uc: uc, errs: errorResponses(log)}
}

// Routes mounts the planning API on r. /history is a static segment: chi matches it
// before the {date} parameter whatever the order of registration (a test holds it).
func (h *PlanningHTTPHandlers) Routes(r chi.Router) {
	r.Get("/api/workshopplanning/history", h.history)
	r.Get("/api/workshopplanning/{date}", h.getPlanning)
	r.Post("/api/workshopplanning/{date}/jobs", h.planJob)
	r.Get("/api/workshopplanning/{date}/jobs/{jobId}", h.getJob)
	r.Put("/api/workshopplanning/{date}/jobs/{jobId}/finish", h.finishJob)
	r.Post("/api/workshopplanning/{date}/jobs/{jobId}/cancel", h.cancelJob)
	r.Post("/api/workshopplanning/{date}/jobs/{jobId}/move", h.moveJob)
}

// pathParam returns a path parameter, percent-decoded (chi matches on the raw path
// when the URL has escaped characters).
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// jobIDParam parses the {jobId} path parameter; an id that cannot exist is a 404.
func (h *PlanningHTTPHandlers) jobIDParam(w http.ResponseWriter, r *http.Request) (domain.JobID, bool) {
	id, err := domain.NewJobID(pathParam(r, "jobId"))
	if err != nil {
		h.errs.Respond(w, r, domain.ErrJobNotFound)
		return domain.JobID{}, false
	}
	return id, true
}

// dateParam parses the {date} path parameter; a bad date is a 400 naming "date".
func (h *PlanningHTTPHandlers) dateParam(w http.ResponseWriter, r *http.Request) (domain.PlanningDate, bool) {
	verr := &problem.ValidationError{}
	d := parseDate(verr, pathParam(r, "date"))
	if err := verr.OrNil(); err != nil {
		h.errs.Respond(w, r, err)
		return domain.PlanningDate{}, false
	}
	return d, true
}

func (h *PlanningHTTPHandlers) getPlanning(w http.ResponseWriter, r *http.Request) {
	date, ok := h.dateParam(w, r)
	if !ok {
		return
	}
	p, err := h.uc.GetPlanning.Handle(r.Context(), date)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	setETag(w, p.Version())
	httpx.WriteJSON(w, http.StatusOK, toPlanningJSON(p))
}

func (h *PlanningHTTPHandlers) planJob(w http.ResponseWriter, r *http.Request) {
	ifMatch, err := parseIfMatch(r)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	cmd, err := decodePlanJob(r, pathParam(r, "date"))
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	cmd.IfMatch = ifMatch
	res, err := h.uc.Plan.Handle(r.Context(), cmd)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("Location", jobLocation(res.Planning.Date(), res.JobID))
	setETag(w, res.Planning.CurrentVersion())
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK // the same job again: nothing new was created
	}
	httpx.WriteJSON(w, status, toPlanningJSON(res.Planning))
}

func (h *PlanningHTTPHandlers) getJob(w http.ResponseWriter, r *http.Request) {
	date, ok := h.dateParam(w, r)
	if !ok {
		return
	}
	id, ok := h.jobIDParam(w, r)
	if !ok {
		return
	}
	res, err := h.uc.GetJob.Handle(r.Context(), date, id)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	setETag(w, res.Version)
	httpx.WriteJSON(w, http.StatusOK, toJobJSON(res.Job))
}

func (h *PlanningHTTPHandlers) finishJob(w http.ResponseWriter, r *http.Request) {
	cmd, ifMatch, ok := readJobCommand(h, w, r, decodeFinishJob)
	if !ok {
		return
	}
	cmd.IfMatch = ifMatch
	res, err := h.uc.Finish.Handle(r.Context(), cmd)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	setETag(w, res.Version)
	httpx.WriteJSON(w, http.StatusOK, toJobJSON(res.Job))
}

func (h *PlanningHTTPHandlers) cancelJob(w http.ResponseWriter, r *http.Request) {
	cmd, ifMatch, ok := readJobCommand(h, w, r, decodeCancelJob)
	if !ok {
		return
	}
	cmd.IfMatch = ifMatch
	res, err := h.uc.Cancel.Handle(r.Context(), cmd)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	setETag(w, res.Version)
	httpx.WriteJSON(w, http.StatusOK, toJobJSON(res.Job))
}

func (h *PlanningHTTPHandlers) moveJob(w http.ResponseWriter, r *http.Request) {
	cmd, ifMatch, ok := readJobCommand(h, w, r, decodeMoveJob)
	if !ok {
		return
	}
	cmd.IfMatch = ifMatch
	res, err := h.uc.Move.Handle(r.Context(), cmd)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("Location", jobLocation(res.Date, res.Job.ID()))
	setETag(w, res.Version)
	httpx.WriteJSON(w, http.StatusOK, toJobJSON(res.Job))
}

// readJobCommand reads a command on the job of the path (finish, cancel, move): the
// job id, the If-Match precondition and the body (decode). On a bad one it has answered
// and returns false.
func readJobCommand[C any](h *PlanningHTTPHandlers, w http.ResponseWriter, r *http.Request,
	decode func(*http.Request, string, domain.JobID) (C, error)) (C, application.IfMatch, bool) {
	var zero C
	id, ok := h.jobIDParam(w, r)
	if !ok {
		return zero, application.IfMatch{}, false
	}
	ifMatch, err := parseIfMatch(r)
	if err != nil {
		h.errs.Respond(w, r, err)
		return zero, ifMatch, false
	}
	cmd, err := decode(r, pathParam(r, "date"), id)
	if err != nil {
		h.errs.Respond(w, r, err)
		return zero, ifMatch, false
	}
	return cmd, ifMatch, true
}

// jobLocation is the URL of a job.
func jobLocation(date domain.PlanningDate, id domain.JobID) string {
	return "/api/workshopplanning/" + date.String() + "/jobs/" + id.String()
}
