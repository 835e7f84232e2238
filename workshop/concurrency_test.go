package workshop_test

import (
	"context"
	"fmt"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentPlanningIntoOneDay plans 20 jobs into the same day at once, through two
// service replicas over one database (distinct vehicles, random overlapping slots).
// Every accepted job must be in the event stream exactly once (no lost update), no
// rejected job may be, the 3-concurrent-jobs rule must hold in the final state, and no
// answer may be a 5xx.
func TestConcurrentPlanningIntoOneDay(t *testing.T) {
	t.Parallel()
	e, replicas := setup(t, options{replicas: 1})
	servers := []*servicetest.Service{e.Service, replicas[0]}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))

	const n = 20
	bodies := make([]jobBody, n)
	for i := range bodies {
		startMin := 8*60 + rng.IntN(8*4)*15 // 08:00 .. 15:45
		dur := 30 + rng.IntN(6)*30          // 0.5 .. 3 h
		from := fmt.Sprintf("%02d:%02d", startMin/60, startMin%60)
		to := fmt.Sprintf("%02d:%02d", (startMin+dur)/60, (startMin+dur)%60)
		bodies[i] = jobAt(fmt.Sprintf("job-%02d", i), fmt.Sprintf("CC-%03d-X", i), from, to)
	}

	statuses := make([]int, n)
	details := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r, err := servers[i%2].Try("POST", "/api/workshopplanning/"+day+"/jobs", bodies[i])
			if err != nil {
				t.Errorf("job %d: %v", i, err)
				return
			}
			statuses[i] = r.Status
			if r.Status != http.StatusCreated {
				details[i] = string(r.Body)
			}
		})
	}
	close(start)
	wg.Wait()

	var accepted []string
	var ruleRejected []int
	for i, s := range statuses {
		switch {
		case s >= 500:
			t.Errorf("job %d: %d %s", i, s, details[i])
		case s == http.StatusCreated:
			accepted = append(accepted, bodies[i].JobID)
		case s == http.StatusConflict && strings.Contains(details[i], "Maintenance job overlaps with more than 3 other jobs"):
			ruleRejected = append(ruleRejected, i)
		case s == http.StatusConflict:
			// Allowed (the retries were exhausted), but it should be rare.
			t.Logf("job %d gave up on concurrent updates: %s", i, details[i])
		default:
			t.Errorf("job %d: unexpected %d %s", i, s, details[i])
		}
	}
	t.Logf("%d of %d accepted", len(accepted), n)
	if len(accepted) == 0 {
		t.Fatal("no job accepted")
	}

	// Every accepted job is in the event stream exactly once; nothing else is.
	rows, err := e.Pool.Query(context.Background(),
		`SELECT data->>'jobId', count(*) FROM events WHERE event_type = 'pitstop.workshop.MaintenanceJobPlanned'
		 GROUP BY 1 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var inStream []string
	for rows.Next() {
		var id string
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("job %s planned %d times", id, c)
		}
		inStream = append(inStream, id)
	}
	rows.Close()
	slices.Sort(accepted)
	if !slices.Equal(inStream, accepted) {
		t.Fatalf("stream holds %v, accepted %v", inStream, accepted)
	}
	// One creation, versions 1..N without gaps, every event in the outbox.
	if c := e.QueryInt(`SELECT count(*) FROM events WHERE event_type = 'pitstop.workshop.WorkshopPlanningCreated'`); c != 1 {
		t.Fatalf("planning created %d times", c)
	}
	total := e.QueryInt(`SELECT count(*) FROM events WHERE stream_id = $1`, day)
	if mx := e.QueryInt(`SELECT max(version) FROM events WHERE stream_id = $1`, day); mx != total || total != len(accepted)+1 {
		t.Fatalf("versions: max %d, count %d, accepted %d", mx, total, len(accepted))
	}
	if c := e.QueryInt(`SELECT count(*) FROM events JOIN outbox USING (event_id)`); c != total {
		t.Fatalf("%d of %d events in the outbox", c, total)
	}

	// The final state, as served, obeys the 3-concurrent rule.
	var p planningJSON
	r := e.Do("GET", "/api/workshopplanning/"+day, nil)
	r.JSON(t, &p)
	if len(p.Jobs) != len(accepted) {
		t.Fatalf("planning has %d jobs, accepted %d", len(p.Jobs), len(accepted))
	}
	if peak := peakConcurrency(t, p.Jobs); peak > 3 {
		t.Fatalf("%d jobs run at the same time", peak)
	}
	// Every rejection was justified: the planning only grows, so a job rejected for a
	// 4th workstation would still make 4 concurrent jobs in the final state.
	for _, i := range ruleRejected {
		with := append(slices.Clone(p.Jobs), jobJSON{JobID: bodies[i].JobID, StartTime: bodies[i].StartTime, EndTime: bodies[i].EndTime})
		if peak := peakConcurrency(t, with); peak <= 3 {
			t.Errorf("job %d (%s-%s) was rejected but fits the final planning", i, bodies[i].StartTime[11:16], bodies[i].EndTime[11:16])
		}
	}
}

func peakConcurrency(t *testing.T, jobs []jobJSON) int {
	t.Helper()
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, j := range jobs {
		s, err1 := time.Parse(time.RFC3339, j.StartTime)
		e, err2 := time.Parse(time.RFC3339, j.EndTime)
		if err1 != nil || err2 != nil {
			t.Fatalf("times of %s: %v %v", j.JobID, err1, err2)
		}
		edges = append(edges, edge{s, 1}, edge{e, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	run, peak := 0, 0
	for _, e := range edges {
		run += e.delta
		peak = max(peak, run)
	}
	return peak
}
