package workshop_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestConcurrentMovesIntoOneDay moves six jobs from two days into the same hour of a
// day without a planning at once, through two replicas: the new day's planning must be
// created once, at most 3 moves may win (the parallel-jobs rule), and every move must
// be whole (Moved on its old day and Planned on the new one) or absent (still Planned
// on its old day, unknown on the new one). No answer may be a 5xx.
func TestConcurrentMovesIntoOneDay(t *testing.T) {
	t.Parallel()
	e, replicas := setup(t, options{replicas: 1})
	servers := []*servicetest.Service{e.Service, replicas[0]}
	const target = "2024-05-03"
	type job struct{ date, id string }
	var jobs []job
	for d, date := range []string{"2024-04-30", day} {
		for i := range 3 {
			id := fmt.Sprintf("d%d-%d", d, i)
			e.plan(date, jobOn(date, id, fmt.Sprintf("MV-%d-%d", d, i), "08:00", "09:00"))
			jobs = append(jobs, job{date, id})
		}
	}
	statuses := make([]int, len(jobs))
	bodies := make([]string, len(jobs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			<-start
			r, err := servers[i%2].Try("POST", movePath(j.date, j.id), map[string]string{"planningDate": target,
				"startTime": target + "T08:00:00+02:00", "endTime": target + "T09:00:00+02:00"})
			if err != nil {
				t.Errorf("move %s: %v", j.id, err)
				return
			}
			statuses[i], bodies[i] = r.Status, string(r.Body)
		})
	}
	close(start)
	wg.Wait()

	moved := 0
	for i, j := range jobs {
		switch {
		case statuses[i] == http.StatusOK:
			moved++
			if got := e.job(j.date, j.id); got.Status != "Moved" {
				t.Errorf("%s moved but %s on its old day", j.id, got.Status)
			}
			if got := e.job(target, j.id); got.Status != "Planned" {
				t.Errorf("%s moved but %s on the new day", j.id, got.Status)
			}
		case statuses[i] == http.StatusConflict:
			if !strings.Contains(bodies[i], "more than 3 other jobs") {
				t.Logf("%s: %s", j.id, bodies[i])
			}
			if got := e.job(j.date, j.id); got.Status != "Planned" {
				t.Errorf("%s refused but %s on its old day", j.id, got.Status)
			}
			if r := e.Do("GET", "/api/workshopplanning/"+target+"/jobs/"+j.id, nil); r.Status != http.StatusNotFound {
				t.Errorf("%s refused but on the new day: %d", j.id, r.Status)
			}
		default:
			t.Errorf("%s: %d %s", j.id, statuses[i], bodies[i])
		}
	}
	t.Logf("%d of %d moves won", moved, len(jobs))
	if moved == 0 || moved > 3 {
		t.Fatalf("%d moves won, want 1 to 3", moved)
	}
	if n := e.streamEvents(target); n != 1+moved {
		t.Fatalf("new day has %d events, want the created one and %d planned", n, moved)
	}
	if n := e.Count("events", "event_type = 'pitstop.workshop.MaintenanceJobMoved'"); n != moved {
		t.Fatalf("%d MaintenanceJobMoved stored for %d moves", n, moved)
	}
}
