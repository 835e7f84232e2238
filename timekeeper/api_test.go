package timekeeper_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGetTimeBeforeAnyDay: before the scheduler has run there is no business day.
func TestGetTimeBeforeAnyDay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 10, 0, 0), nil, nil)
	p := h.Do(http.MethodGet, "/api/time", nil).Problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, "no business day") {
		t.Errorf("detail %q", p.Detail)
	}
}

// TestGetTime answers the current day with its start time in the configured zone.
func TestGetTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 1, 15, 8, 30, 0), nil, nil)
	h.StartWorkers()
	h.clock.nextTimer(t)
	res := h.Do(http.MethodGet, "/api/time", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	var d businessDay
	res.JSON(t, &d)
	want := businessDay{Date: "2024-01-15", StartedAt: "2024-01-15T08:30:00+01:00", TimeZone: "Europe/Amsterdam"}
	if d != want {
		t.Errorf("GET /api/time = %+v, want %+v", d, want)
	}
}

// TestPostDaysStartsTheNextDay: each POST starts the day after the current one,
// whatever the clock says, and emits its DayHasPassed once.
func TestPostDaysStartsTheNextDay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 10, 0, 0), nil, nil)

	// Without any day yet, the first business day is today.
	res := h.Do(http.MethodPost, "/api/time/days", nil)
	if res.Status != http.StatusCreated {
		t.Fatalf("first POST: %d %s", res.Status, res.Body)
	}
	var d businessDay
	res.JSON(t, &d)
	if d.Date != "2024-05-02" || d.StartedAt != "2024-05-02T10:00:00+02:00" {
		t.Errorf("first POST = %+v, want today", d)
	}
	if loc := res.Header.Get("Location"); loc != "/api/time" {
		t.Errorf("Location %q", loc)
	}

	h.clock.Set(at(t, 2024, 5, 2, 10, 5, 0))
	res = h.Do(http.MethodPost, "/api/time/days", nil)
	if res.Status != http.StatusCreated {
		t.Fatalf("second POST: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &d)
	if d.Date != "2024-05-03" || d.StartedAt != "2024-05-02T10:05:00+02:00" {
		t.Errorf("second POST = %+v, want 2024-05-03 started now", d)
	}
	if got := h.current(); got != d {
		t.Errorf("GET /api/time = %+v, want %+v", got, d)
	}
	evs := h.dayEvents()
	if len(evs) != 2 || evs[0].date != "2024-05-02" || evs[1].date != "2024-05-03" {
		t.Fatalf("outbox %+v", evs)
	}
	if !evs[1].occurredAt.Equal(at(t, 2024, 5, 2, 10, 5, 0)) || evs[0].eventID == evs[1].eventID {
		t.Errorf("events %+v", evs)
	}
}

// TestPostDaysThenMidnight: after POST advanced the calendar past today, the
// scheduler's start-up and the real midnight start nothing until the real date passes
// the current business day; then it continues with the real date.
func TestPostDaysThenMidnight(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 23, 59, 0), nil, nil)
	h.StartWorkers()
	r := h.clock.nextTimer(t) // 2024-05-02 started
	for range 2 {
		if res := h.Do(http.MethodPost, "/api/time/days", nil); res.Status != http.StatusCreated {
			t.Fatalf("POST: %d %s", res.Status, res.Body)
		}
	}
	// Midnight: the real date (05-03) is already behind the calendar (05-04).
	h.clock.fire(r)
	r = h.clock.nextTimer(t)
	want := []string{"2024-05-02", "2024-05-03", "2024-05-04"}
	if got := h.dates(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the first midnight: %v, want %v", got, want)
	}
	// Two days later the real date passes the calendar again.
	for !h.clock.Now().After(at(t, 2024, 5, 5, 0, 0, 0)) {
		h.clock.fire(r)
		r = h.clock.nextTimer(t)
	}
	want = append(want, "2024-05-05")
	if got := h.dates(); !reflect.DeepEqual(got, want) {
		t.Errorf("after 05-05 began: %v, want %v", got, want)
	}
}

// TestConcurrentPostDays: 20 concurrent POSTs start 20 consecutive days, each once.
func TestConcurrentPostDays(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 10, 0, 0), nil, nil)
	// A second replica on the same database takes half of the requests.
	other := newHarness(t, h.DatabaseURL, at(t, 2024, 5, 2, 10, 0, 0), nil, nil)
	h.StartWorkers()
	h.clock.nextTimer(t) // 2024-05-02 started

	const n = 20
	dates := make([]string, n)
	errs := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		srv := h.Service
		if i%2 == 1 {
			srv = other.Service
		}
		wg.Go(func() {
			<-start
			res, err := srv.Try(http.MethodPost, "/api/time/days", nil)
			switch {
			case err != nil:
				errs[i] = err.Error()
			case res.Status != http.StatusCreated:
				errs[i] = string(res.Body)
			default:
				var d businessDay
				if err := json.Unmarshal(res.Body, &d); err != nil {
					errs[i] = err.Error()
				}
				dates[i] = d.Date
			}
		})
	}
	close(start)
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("POST %d: %s", i, e)
		}
	}
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, at(t, 2024, 5, 2, 0, 0, 0).AddDate(0, 0, i).Format(time.DateOnly))
	}
	got := slices.Clone(dates)
	slices.Sort(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answered days %v, want each of %v once", got, want)
	}
	// The outbox holds each day once, in the order the days started.
	if got, want := h.dates(), append([]string{"2024-05-02"}, want...); !reflect.DeepEqual(got, want) {
		t.Errorf("outbox %v, want %v", got, want)
	}
	if n := h.startedDays(); n != 21 {
		t.Errorf("started_days has %d rows, want 21", n)
	}
	if got := h.current().Date; got != "2024-05-22" {
		t.Errorf("current day %s, want 2024-05-22", got)
	}
}

// TestBadRequests: wrong methods and paths are problem documents and start nothing.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 10, 0, 0), nil, nil)
	if res := h.Do(http.MethodPost, "/api/time/days", nil); res.Status != http.StatusCreated {
		t.Fatalf("POST: %d", res.Status)
	}
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodPut, "/api/time", http.StatusMethodNotAllowed},
		{http.MethodPost, "/api/time", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/time", http.StatusMethodNotAllowed},
		{http.MethodPatch, "/api/time", http.StatusMethodNotAllowed},
		{http.MethodGet, "/api/time/days", http.StatusMethodNotAllowed},
		{http.MethodPut, "/api/time/days", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/time/days", http.StatusMethodNotAllowed},
		{http.MethodGet, "/api/time/days/2024-05-03", http.StatusNotFound},
		{http.MethodPost, "/api/time/days/2024-05-03", http.StatusNotFound},
		{http.MethodGet, "/api/time/now", http.StatusNotFound},
		{http.MethodGet, "/api/times", http.StatusNotFound},
		{http.MethodPost, "/api/time/days%00", http.StatusNotFound},
		{http.MethodPost, "/api/time/days/../days/x", http.StatusNotFound},
	}
	for _, tt := range tests {
		res := h.Do(tt.method, tt.path, nil)
		if res.Status >= 500 {
			t.Errorf("%s %s: %d", tt.method, tt.path, res.Status)
			continue
		}
		res.Problem(t, tt.status)
	}
	// A body too large for the server is refused before anything starts.
	res := h.Do(http.MethodPost, "/api/time/days", strings.Repeat("x", maxBody+1), "Content-Type", "application/json")
	res.Problem(t, http.StatusRequestEntityTooLarge)
	if got := h.dates(); !reflect.DeepEqual(got, []string{"2024-05-02"}) {
		t.Errorf("rejected requests changed the outbox: %v", got)
	}
	if got := h.current().Date; got != "2024-05-02" {
		t.Errorf("rejected requests changed the day: %s", got)
	}
}

// TestPostDaysAtTheEndOfTheCalendar: after 9999-12-31 no day can start: 409, nothing
// stored.
func TestPostDaysAtTheEndOfTheCalendar(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", time.Date(9999, 12, 31, 12, 0, 0, 0, amsterdam(t)), nil, nil)
	if res := h.Do(http.MethodPost, "/api/time/days", nil); res.Status != http.StatusCreated {
		t.Fatalf("POST: %d %s", res.Status, res.Body)
	}
	h.Do(http.MethodPost, "/api/time/days", nil).Problem(t, http.StatusConflict)
	if got := h.dates(); !reflect.DeepEqual(got, []string{"9999-12-31"}) {
		t.Errorf("outbox %v", got)
	}
}

// A conditional start (?after=) starts the next day only while the caller's day is still
// current: a retried or double-clicked request starts one day, not two.
func TestPostDaysAfterStartsOnlyFromTheExpectedDay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", at(t, 2024, 5, 2, 10, 0, 0), nil, nil)
	if res := h.Do(http.MethodPost, "/api/time/days", nil); res.Status != http.StatusCreated {
		t.Fatalf("first POST: %d %s", res.Status, res.Body)
	}
	// The current day is 2024-05-02: twice "start the day after 2024-05-02".
	first := h.Do(http.MethodPost, "/api/time/days?after=2024-05-02", nil)
	second := h.Do(http.MethodPost, "/api/time/days?after=2024-05-02", nil)
	if first.Status != http.StatusCreated || second.Status != http.StatusConflict {
		t.Fatalf("statuses %d, %d; want 201 then 409 (%s)", first.Status, second.Status, second.Body)
	}
	if got := h.current().Date; got != "2024-05-03" {
		t.Fatalf("current day %s, want 2024-05-03", got)
	}
	if n := len(h.dayEvents()); n != 2 {
		t.Fatalf("%d DayHasPassed events, want 2", n)
	}
	for _, bad := range []string{"yesterday", "2024-13-01", "2024-5-3"} {
		if res := h.Do(http.MethodPost, "/api/time/days?after="+bad, nil); res.Status != http.StatusBadRequest {
			t.Errorf("after=%s: %d, want 400", bad, res.Status)
		}
	}
	if n := len(h.dayEvents()); n != 2 {
		t.Fatalf("rejected requests started days: %d events", n)
	}
}
