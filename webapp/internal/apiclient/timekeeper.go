package apiclient

import (
	"context"
	"net/http"
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

// StartNextDay starts the business day after the current one now and returns it. It is
// not idempotent: each call starts one more day (callers check the current day first).
func (t *Timekeeper) StartNextDay(ctx context.Context) (BusinessDay, error) {
	var out BusinessDay
	err := t.c.do(ctx, http.MethodPost, "/api/time/days", nil, nil, &out)
	return out, err
}
