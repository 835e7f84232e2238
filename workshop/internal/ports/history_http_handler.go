package ports

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// historyCursorPrefix versions the history's cursors.
const historyCursorPrefix = "h1:"

// history serves GET /api/workshopplanning/history?licenseNumber=X or ?customerId=Y:
// the jobs of one vehicle or customer across days, newest first, paged.
func (h *PlanningHTTPHandlers) history(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		verr := &problem.ValidationError{}
		verr.Add("query", "is not a valid URL query string")
		h.errs.Respond(w, r, verr)
		return
	}
	var f application.HistoryFilter
	verr := &problem.ValidationError{}
	ln, cid := q.Get("licenseNumber"), q.Get("customerId")
	switch {
	case (ln == "") == (cid == ""):
		h.errs.Respond(w, r, application.ErrInvalidHistoryFilter)
		return
	case ln != "":
		l, err := domain.NewLicenseNumber(ln)
		addFieldErrors(verr, err, func(string) string { return "licenseNumber" })
		f.LicenseNumber = l.String()
	default:
		if !validKey(cid) {
			verr.Add("customerId", "must be a customer id")
		}
		f.CustomerID = cid
	}
	limit, limitErr := paging.ParseLimit(q.Get("limit"))
	var after application.HistoryKey
	key, cursorErr := paging.DecodeCursor(historyCursorPrefix, q.Get("cursor"))
	if cursorErr == nil {
		after, cursorErr = application.ParseHistoryKey(key)
	}
	addFieldErrors(verr, errors.Join(limitErr, cursorErr), func(f string) string { return f })
	if err := verr.OrNil(); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	page, err := h.uc.History.Handle(r.Context(), f, after, limit)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	out := listJSON[historyJSON]{Items: make([]historyJSON, 0, len(page.Items)),
		Next: paging.EncodeCursor(historyCursorPrefix, page.Next)}
	for _, e := range page.Items {
		out.Items = append(out.Items, toHistoryJSON(e))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
