package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// moveFieldMap maps the move API's field names to the move form's.
var moveFieldMap = map[string]string{"planningDate": "date", "startTime": "startTime", "endTime": "endTime"}

// renderJob shows the job page with its cancel and move forms (cancel or move being
// the form of a refused submit, nil for a fresh one) and the planning's current ETag.
func (h *Handlers) renderJob(w http.ResponseWriter, r *http.Request, status int, cancel, move *Form) {
	date, id := chi.URLParam(r, "date"), chi.URLParam(r, "jobId")
	if _, ok := h.parseDate(date); !ok {
		h.errorPage(w, r, http.StatusNotFound, "Job not found", "There is no such maintenance job.")
		return
	}
	j, etag, err := h.Workshop.JobWithETag(r.Context(), date, id)
	if err != nil {
		h.fail(w, r, "workshop", workshopService, "maintenance job", err)
		return
	}
	jv := h.jobView(date, j)
	if cancel == nil {
		cancel = newForm(nil)
	}
	if move == nil {
		move = newForm(url.Values{"date": {date}, "startTime": {jv.Start}, "endTime": {jv.End}})
	}
	h.render(w, r, status, "job.html", jobData{Layout: Layout{Title: "Maintenance job", Nav: "workshop"}, Job: jv,
		ETag: etag, CancelForm: cancel, MoveForm: move})
}

// jobPath is the job page's path.
func jobPath(date, id string) string {
	return "/workshop/" + url.PathEscape(date) + "/jobs/" + url.PathEscape(id)
}

// changeRefused shows a refused cancel or move on its form: a 412 says the planning
// changed meanwhile, other rejections their problem's detail.
func (h *Handlers) changeRefused(r *http.Request, f *Form, err error, fields map[string]string) int {
	if apiclient.IsStatus(err, http.StatusPreconditionFailed) {
		f.FailGeneral("The planning of this day was changed by someone else since you opened the page; " +
			"here is the job as it is now — check it and submit again.")
		return http.StatusPreconditionFailed
	}
	return h.formFailed(r, f, workshopService, err, fields)
}

func (h *Handlers) cancelJob(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	date, id := chi.URLParam(r, "date"), chi.URLParam(r, "jobId")
	if f.Get("confirm") == "" {
		f.Fail("confirm", "must be ticked to cancel the job")
		h.renderJob(w, r, http.StatusBadRequest, f, nil)
		return
	}
	_, err := h.Workshop.CancelJob(r.Context(), date, id, f.trimmed("etag"), apiclient.CancelJob{Reason: strings.TrimSpace(f.Get("reason"))})
	if err == nil {
		seeOther(w, r, jobPath(date, id))
		return
	}
	if apiclient.IsStatus(err, http.StatusNotFound) {
		h.fail(w, r, "workshop", workshopService, "maintenance job", err)
		return
	}
	h.renderJob(w, r, h.changeRefused(r, f, err, map[string]string{"reason": "reason"}), f, nil)
}

func (h *Handlers) moveJob(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	date, id := chi.URLParam(r, "date"), chi.URLParam(r, "jobId")
	to := f.trimmed("date")
	if _, ok := h.parseDate(to); !ok {
		f.Fail("date", "must be a date")
	}
	start, okS := h.at(to, f.trimmed("startTime"))
	if !okS {
		f.Fail("startTime", "must be a time of day (HH:MM)")
	}
	end, okE := h.at(to, f.trimmed("endTime"))
	if !okE {
		f.Fail("endTime", "must be a time of day (HH:MM)")
	}
	if okS && okE && !end.After(start) {
		f.Fail("endTime", "must be after the start")
	}
	if !f.OK() {
		h.renderJob(w, r, http.StatusBadRequest, nil, f)
		return
	}
	in := apiclient.MoveJob{StartTime: start.Format(time.RFC3339), EndTime: end.Format(time.RFC3339)}
	if to != date {
		in.PlanningDate = to
	}
	moved, err := h.Workshop.MoveJob(r.Context(), date, id, f.trimmed("etag"), in)
	if err == nil {
		seeOther(w, r, jobPath(to, moved.JobID))
		return
	}
	if apiclient.IsStatus(err, http.StatusNotFound) {
		h.fail(w, r, "workshop", workshopService, "maintenance job", err)
		return
	}
	h.renderJob(w, r, h.changeRefused(r, f, err, moveFieldMap), nil, f)
}
