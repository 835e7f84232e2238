package apiclient

import (
	"context"
	"net/http"
	"net/url"
)

// BusinessDay is the timekeeper's current business day: its date (YYYY-MM-DD), when it
// started (RFC 3339 with the time zone's offset) and the IANA time zone whose midnight
// begins a day.
type BusinessDay struct {
	Date      string `json:"date"`
	StartedAt string `json:"startedAt"`
	TimeZone  string `json:"timeZone"`
}

// Timekeeper is the client of /api/time.
type Timekeeper struct{ c client }

// NewTimekeeper returns the client sending its requests through rt.
func NewTimekeeper(rt http.RoundTripper) *Timekeeper { return &Timekeeper{newClient("timekeeper", rt)} }

// Current returns the current business day (a 404 *Problem before the first day started).
func (t *Timekeeper) Current(ctx context.Context) (BusinessDay, error) {
	var out BusinessDay
	err := t.c.do(ctx, http.MethodGet, "/api/time", nil, nil, &out)
	return out, err
}

// StartNextDay starts the business day after the current one now and returns it. With
// after (YYYY-MM-DD) the timekeeper starts it only while after is still the current
// day and answers a 409 *Problem otherwise, so a retry starts one day, not two; with
// after empty each call starts one more day.
func (t *Timekeeper) StartNextDay(ctx context.Context, after string) (BusinessDay, error) {
	var out BusinessDay
	path := "/api/time/days"
	if after != "" {
		path += "?after=" + url.QueryEscape(after)
	}
	err := t.c.do(ctx, http.MethodPost, path, nil, nil, &out)
	return out, err
}
