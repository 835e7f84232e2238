package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const timekeeperService = "timekeeper"

// dayLabel is how the pages name a day.
const dayLabel = "Monday 2 January 2006"

// businessDayView is a business day as the page shows it.
type businessDayView struct {
	Date, Label string
	// StartedAt is when it began, in its time zone (YYYY-MM-DD HH:MM).
	StartedAt string
	TimeZone  string
}

type businessDayData struct {
	Layout
	// Form carries the current day ("current") the submit expects, and the refusals.
	Form *Form
	// Day is the current business day; nil when none started yet (NoDay) or when the
	// timekeeper could not be asked.
	Day   *businessDayView
	NoDay bool
	// Next and NextLabel name the day the button starts ("" when unknown).
	Next, NextLabel string
	// Started names the day a submit just started (the page after the redirect).
	Started, StartedLabel string
}

// calendarDate parses a YYYY-MM-DD date (a calendar day, no time zone involved).
func calendarDate(s string) (time.Time, bool) {
	t, err := time.Parse(dateLayout, s)
	return t, err == nil && t.Format(dateLayout) == s
}

// labelOf names date as "Monday 2 January 2006" (date itself if it is not a date).
func labelOf(date string) string {
	if t, ok := calendarDate(date); ok {
		return t.Format(dayLabel)
	}
	return date
}

// nextDate is the day after date ("" if date is not a date).
func nextDate(date string) string {
	if t, ok := calendarDate(date); ok {
		return t.AddDate(0, 0, 1).Format(dateLayout)
	}
	return ""
}

// setDay shows day as the current business day and makes the form expect it.
func (d *businessDayData) setDay(day apiclient.BusinessDay) {
	v := &businessDayView{Date: day.Date, Label: labelOf(day.Date), StartedAt: day.StartedAt, TimeZone: day.TimeZone}
	if t, err := time.Parse(time.RFC3339, day.StartedAt); err == nil {
		v.StartedAt = t.Format("2006-01-02 15:04") // in the offset of the timekeeper's zone
	}
	d.Day, d.NoDay = v, false
	d.Next = nextDate(day.Date)
	d.NextLabel = labelOf(d.Next)
	d.Form.Set("current", day.Date)
}

// setNoDay shows that no business day has started yet.
func (d *businessDayData) setNoDay() {
	d.Day, d.NoDay, d.Next, d.NextLabel = nil, true, "", ""
	d.Form.Set("current", "")
}

func (h *Handlers) newBusinessDayData() businessDayData {
	return businessDayData{Layout: Layout{Title: "Business day", Nav: "businessday"}, Form: newForm(nil)}
}

// currentDay asks the timekeeper for the current day; found is false (and err nil)
// before the first day started.
func (h *Handlers) currentDay(r *http.Request) (day apiclient.BusinessDay, found bool, err error) {
	day, err = h.Timekeeper.Current(r.Context())
	switch {
	case err == nil:
		return day, true, nil
	case apiclient.IsStatus(err, http.StatusNotFound):
		return apiclient.BusinessDay{}, false, nil
	default:
		return apiclient.BusinessDay{}, false, err
	}
}

// businessDay shows the current business day and the form that starts the next one.
func (h *Handlers) businessDay(w http.ResponseWriter, r *http.Request) {
	d := h.newBusinessDayData()
	day, found, err := h.currentDay(r)
	if err != nil {
		h.fail(w, r, "businessday", timekeeperService, "business day", err)
		return
	}
	if found {
		d.setDay(day)
	} else {
		d.setNoDay()
	}
	if s := r.URL.Query().Get("started"); s != "" {
		if _, ok := calendarDate(s); ok {
			d.Started, d.StartedLabel = s, labelOf(s)
		}
	}
	h.render(w, r, http.StatusOK, "business_day.html", d)
}

// startNextDay starts the next business day. The form carries the day that was current
// when it was shown; if the day has moved on since (a second click, a retry, another
// user, midnight), nothing is started and the page says so. Submits are serialised in
// this process, so two submits of one form start one day.
func (h *Handlers) startNextDay(w http.ResponseWriter, r *http.Request) {
	posted, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	expected := posted.trimmed("current")
	d := h.newBusinessDayData()
	if _, valid := calendarDate(expected); expected != "" && !valid {
		d.Form.FailGeneral("The form was incomplete; nothing was started. Check the current day below and click the button again.")
		h.renderBusinessDayAgain(w, r, http.StatusBadRequest, d)
		return
	}

	h.startDay.Lock()
	defer h.startDay.Unlock()

	d.Form.Set("current", expected) // kept if the timekeeper cannot be asked: a retry stays safe
	day, found, err := h.currentDay(r)
	if err != nil {
		h.render(w, r, h.startFailed(r, d.Form, err, " No day was started."), "business_day.html", d)
		return
	}
	if !found {
		d.setNoDay()
	} else {
		d.setDay(day)
	}
	if day.Date != expected {
		d.Form.FailGeneral(movedOn(expected, day.Date))
		h.render(w, r, http.StatusConflict, "business_day.html", d)
		return
	}

	// The timekeeper re-checks the expected day under its own lock, so even several
	// web app instances submitting at once start one day.
	started, err := h.Timekeeper.StartNextDay(r.Context(), expected)
	var pr *apiclient.Problem
	if errors.As(err, &pr) && pr.Status == http.StatusConflict && expected != "" {
		current := ""
		if day, found, cerr := h.currentDay(r); cerr == nil && found {
			current = day.Date
		}
		d.Form.FailGeneral(movedOn(expected, current))
		h.renderBusinessDayAgain(w, r, http.StatusConflict, d)
		return
	}
	if err != nil {
		h.render(w, r, h.startFailed(r, d.Form, err, " If it went down while answering, the day may have "+
			"started: trying again is safe, a day that did start is not started twice."), "business_day.html", d)
		return
	}
	h.Log.InfoContext(r.Context(), "business day started from the web app", "date", started.Date,
		"request_id", middleware.GetReqID(r.Context()))
	seeOther(w, r, "/business-day?started="+started.Date)
}

// renderBusinessDayAgain shows the page with d's errors and, if the timekeeper
// answers, the current day.
func (h *Handlers) renderBusinessDayAgain(w http.ResponseWriter, r *http.Request, status int, d businessDayData) {
	if day, found, err := h.currentDay(r); err == nil {
		if found {
			d.setDay(day)
		} else {
			d.setNoDay()
		}
	}
	h.render(w, r, status, "business_day.html", d)
}

// movedOn explains why a submit started nothing.
func movedOn(expected, current string) string {
	if current == "" { // cannot happen unless the timekeeper lost its state
		return "Nothing was started: the time keeper no longer knows the business day this page showed. " +
			"Check the page and click the button again if you mean to."
	}
	return "Nothing was started: the business day has already moved on to " + labelOf(current) +
		" since this page was shown (the button was clicked twice, or the day was started elsewhere). " +
		"Click the button again only if you mean to start the day after it too."
}

// startFailed shows on the form why a call to the timekeeper failed (offline: its
// message and then offlineNote) and returns the status to answer.
func (h *Handlers) startFailed(r *http.Request, f *Form, err error, offlineNote string) int {
	if errors.Is(err, apiclient.ErrUnavailable) {
		h.Log.WarnContext(r.Context(), "service unavailable", "upstream", timekeeperService, "err", err,
			"request_id", middleware.GetReqID(r.Context()))
		f.FailGeneral(offlineMessage(timekeeperService) + offlineNote)
		return http.StatusServiceUnavailable
	}
	return h.formFailed(r, f, timekeeperService, err, nil)
}
