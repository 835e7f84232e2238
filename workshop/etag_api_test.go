package workshop_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestIfMatch checks the optimistic concurrency of every write: the ETag of the GETs
// and of the writes is the day's version; a stale If-Match is a 412 storing nothing.
func TestIfMatch(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	jobs := "/api/workshopplanning/" + day + "/jobs"

	// A day without a planning is at version 0.
	if r := e.Do("POST", jobs, jobAt("a", "AA-1-A", "08:00", "09:00"), "If-Match", `"1"`); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match on a new day: %d %s", r.Status, r.Body)
	}
	if got := e.stored(); got != [2]int{0, 0} {
		t.Fatalf("412 stored %v", got)
	}
	r := e.Do("POST", jobs, jobAt("a", "AA-1-A", "08:00", "09:00"), "If-Match", `"0"`)
	if r.Status != http.StatusCreated || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("plan with If-Match 0: %d %q %s", r.Status, r.Header.Get("ETag"), r.Body)
	}
	e.plan(day, jobAt("b", "BB-1-B", "08:00", "09:00"))
	if r := e.Do("GET", "/api/workshopplanning/"+day, nil); r.Header.Get("ETag") != `"3"` {
		t.Fatalf("planning ETag %q", r.Header.Get("ETag"))
	}
	if r := e.Do("GET", jobs+"/a", nil); r.Header.Get("ETag") != `"3"` {
		t.Fatalf("job ETag %q", r.Header.Get("ETag"))
	}

	stale := `"2"`
	moveBody := map[string]string{"startTime": day + "T10:00:00+02:00", "endTime": day + "T11:00:00+02:00"}
	writes := []struct {
		name, method, path string
		body               any
	}{
		{"plan", "POST", jobs, jobAt("c", "CC-1-C", "08:00", "09:00")},
		{"finish", "PUT", jobs + "/a/finish", finishBody(day)},
		{"cancel", "POST", cancelPath(day, "a"), map[string]string{"reason": "x"}},
		{"move", "POST", movePath(day, "a"), moveBody},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			// A stale, weak or never handed out tag fails the write (RFC 9110 13.1.1).
			for _, tag := range []string{stale, `W/"3"`, `"1", "2"`, `"x"`, `"-1"`, `""`} {
				before := e.stored()
				r := e.For(t).Do(w.method, w.path, w.body, "If-Match", tag)
				p := r.Problem(t, http.StatusPreconditionFailed)
				if p.Type != "https://pitstop.example/problems/planning-changed" || p.Title != "The planning changed since it was read" {
					t.Fatalf("If-Match %s: problem %+v", tag, p)
				}
				if got := e.stored(); got != before {
					t.Fatalf("If-Match %s stored something: %v -> %v", tag, before, got)
				}
			}
			for _, tag := range []string{`3`, `"3`, `*, "3"`, `,`} {
				r := e.For(t).Do(w.method, w.path, w.body, "If-Match", tag)
				servicetest.WantFields(t, r.Problem(t, http.StatusBadRequest), "If-Match")
			}
		})
	}
	// Current tags are accepted, and each write answers the new one.
	version := 3
	for _, w := range writes[:2] {
		tag := `"` + strconv.Itoa(version) + `"`
		r := e.Do(w.method, w.path, w.body, "If-Match", tag)
		version++
		if r.Status >= 300 || r.Header.Get("ETag") != `"`+strconv.Itoa(version)+`"` {
			t.Fatalf("%s with If-Match %s: %d ETag %q %s", w.name, tag, r.Status, r.Header.Get("ETag"), r.Body)
		}
	}
	// "*" checks nothing.
	r = e.Do("POST", movePath(day, "b"), moveBody, "If-Match", "*")
	if r.Status != http.StatusOK || r.Header.Get("ETag") != `"6"` {
		t.Fatalf("move with If-Match *: %d %q %s", r.Status, r.Header.Get("ETag"), r.Body)
	}
	// A list matches when one of its strong tags is current.
	r = e.Do("POST", cancelPath(day, "b"), nil, "If-Match", `W/"6", "1", "6"`)
	if r.Status != http.StatusOK || r.Header.Get("ETag") != `"7"` {
		t.Fatalf("cancel with If-Match: %d %q %s", r.Status, r.Header.Get("ETag"), r.Body)
	}
}
