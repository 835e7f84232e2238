package workshop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

const nextDay = "2024-05-02"

// jobOn is jobAt on another date.
func jobOn(date, id, plate, from, to string) jobBody {
	b := jobAt(id, plate, from, to)
	b.StartTime = date + "T" + from + ":00+02:00"
	b.EndTime = date + "T" + to + ":00+02:00"
	return b
}

type jobWithMoves struct {
	jobJSON
	CancellationReason *string `json:"cancellationReason"`
	MovedTo            *struct {
		PlanningDate string `json:"planningDate"`
		JobID        string `json:"jobId"`
	} `json:"movedTo"`
}

func (e *env) plan(date string, b jobBody) {
	e.T.Helper()
	if r := e.Do("POST", "/api/workshopplanning/"+date+"/jobs", b); r.Status != http.StatusCreated {
		e.T.Fatalf("plan %s on %s: %d %s", b.JobID, date, r.Status, r.Body)
	}
}

func (e *env) job(date, id string) jobWithMoves {
	e.T.Helper()
	var j jobWithMoves
	r := e.Do("GET", "/api/workshopplanning/"+date+"/jobs/"+id, nil)
	if r.Status != http.StatusOK {
		e.T.Fatalf("get %s/%s: %d %s", date, id, r.Status, r.Body)
	}
	r.JSON(e.T, &j)
	return j
}

// streamEvents is the number of events of a day's stream.
func (e *env) streamEvents(date string) int { return e.Count("events", "stream_id = $1", date) }

// lastEvent is the type and data of the newest event of a day's stream.
func (e *env) lastEvent(date string) (string, map[string]any) {
	e.T.Helper()
	var typ string
	var data []byte
	err := e.Pool.QueryRow(context.Background(), `SELECT event_type, data FROM events WHERE stream_id = $1
		ORDER BY version DESC LIMIT 1`, date).Scan(&typ, &data)
	if err != nil {
		e.T.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		e.T.Fatal(err)
	}
	return typ, m
}

func cancelPath(date, id string) string {
	return "/api/workshopplanning/" + date + "/jobs/" + id + "/cancel"
}
func movePath(date, id string) string {
	return "/api/workshopplanning/" + date + "/jobs/" + id + "/move"
}
func finishBody(date string) map[string]string {
	return map[string]string{"actualStartTime": date + "T08:00:00+02:00", "actualEndTime": date + "T09:00:00+02:00"}
}

func TestCancelJob(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	for i, plate := range []string{"AA-1-A", "BB-1-B", "CC-1-C"} {
		e.plan(day, jobAt(string(rune('a'+i)), plate, "08:00", "10:00"))
	}
	e.plan(day, jobAt("done", "DD-1-D", "12:00", "13:00"))
	if r := e.Do("PUT", "/api/workshopplanning/"+day+"/jobs/done/finish", finishBody(day)); r.Status != http.StatusOK {
		t.Fatalf("finish: %d %s", r.Status, r.Body)
	}
	// The day is full at 08:00-10:00.
	if r := e.Do("POST", "/api/workshopplanning/"+day+"/jobs", jobAt("d", "EE-1-E", "09:00", "09:30")); r.Status != http.StatusConflict {
		t.Fatalf("4th job before cancel: %d %s", r.Status, r.Body)
	}

	before := e.stored()
	r := e.Do("POST", cancelPath(day, "a"), map[string]string{"reason": "Customer is ill"})
	if r.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	var j jobWithMoves
	r.JSON(t, &j)
	if j.Status != "Cancelled" || j.CancellationReason == nil || *j.CancellationReason != "Customer is ill" || j.JobID != "a" {
		t.Fatalf("cancelled job %+v", j)
	}
	if got := e.stored(); got != [2]int{before[0] + 1, before[1] + 1} {
		t.Fatalf("events/outbox %v -> %v", before, got)
	}
	typ, data := e.lastEvent(day)
	if typ != workshopevents.SubjectMaintenanceJobCancelled || data["jobId"] != "a" || data["reason"] != "Customer is ill" ||
		data["planningDate"] != day {
		t.Fatalf("stored %s %v", typ, data)
	}
	// It stays in the planning as Cancelled.
	var p struct {
		Jobs []jobWithMoves `json:"jobs"`
	}
	e.Do("GET", "/api/workshopplanning/"+day, nil).JSON(t, &p)
	if len(p.Jobs) != 4 || p.Jobs[0].Status != "Cancelled" {
		t.Fatalf("planning after cancel %+v", p.Jobs)
	}
	// Its workstation and its vehicle are free now.
	e.plan(day, jobAt("d", "EE-1-E", "09:00", "09:30"))
	e.plan(day, jobAt("e", "AA-1-A", "08:00", "08:30"))

	// Without a body: no reason.
	e.plan(day, jobAt("f", "FF-1-F", "14:00", "15:00"))
	r = e.Do("POST", cancelPath(day, "f"), nil)
	r.JSON(t, &j)
	if r.Status != http.StatusOK || j.CancellationReason == nil || *j.CancellationReason != "" {
		t.Fatalf("cancel without body: %d %s", r.Status, r.Body)
	}

	tests := []struct {
		name   string
		path   string
		body   any
		status int
		detail string
		fields []string
	}{
		{"cancel again", cancelPath(day, "a"), nil, 409, "The job is already cancelled.", nil},
		{"cancel a finished job", cancelPath(day, "done"), nil, 409, "A finished job can not be cancelled.", nil},
		{"cancel an unknown job", cancelPath(day, "nope"), nil, 404, "", nil},
		{"cancel on a day without planning", cancelPath("2024-06-01", "a"), nil, 404, "", nil},
		{"bad date", cancelPath("2024-13-01", "a"), nil, 400, "", []string{"date"}},
		{"reason too long", cancelPath(day, "b"), map[string]string{"reason": strings.Repeat("x", 501)}, 400, "", []string{"reason"}},
		{"reason with NUL", cancelPath(day, "b"), map[string]string{"reason": "a\u0000b"}, 400, "", []string{"reason"}},
		{"malformed body", cancelPath(day, "b"), `{"reason":`, 400, "", nil},
		{"reason of the wrong type", cancelPath(day, "b"), `{"reason": 5}`, 400, "", nil},
		{"finish a cancelled job", "/api/workshopplanning/" + day + "/jobs/a/finish", finishBody(day), 409,
			"A cancelled job can not be finished.", nil},
		{"move a cancelled job", movePath(day, "a"), map[string]string{"startTime": day + "T16:00:00+02:00",
			"endTime": day + "T17:00:00+02:00"}, 409, "A cancelled job can not be moved.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.stored()
			method := "POST"
			if strings.HasSuffix(tt.path, "/finish") {
				method = "PUT"
			}
			r := e.For(t).Do(method, tt.path, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			p := r.Problem(t, tt.status)
			if tt.detail != "" && p.Detail != tt.detail {
				t.Fatalf("detail %q, want %q", p.Detail, tt.detail)
			}
			if tt.fields != nil {
				servicetest.WantFields(t, p, tt.fields...)
			}
			if got := e.stored(); got != before {
				t.Fatalf("rejected request stored something: %v -> %v", before, got)
			}
		})
	}
	if j := e.job(day, "b"); j.Status != "Planned" {
		t.Fatalf("job b after rejected cancels: %+v", j)
	}
}

func TestMoveJobOnItsDay(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	e.plan(day, jobAt("a", "AA-1-A", "08:00", "10:00"))
	e.plan(day, jobAt("b", "BB-1-B", "08:00", "10:00"))
	e.plan(day, jobAt("c", "CC-1-C", "11:00", "12:00"))
	e.plan(day, jobAt("x", "XX-1-X", "12:00", "13:00"))
	e.plan(day, jobAt("y", "YY-1-Y", "12:00", "13:00"))

	// Overlapping its own old slot is fine: the job itself does not count.
	before := e.stored()
	r := e.Do("POST", movePath(day, "a"), map[string]string{"startTime": day + "T09:00:00+02:00", "endTime": day + "T10:30:00+02:00"})
	if r.Status != http.StatusOK {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/workshopplanning/"+day+"/jobs/a" {
		t.Fatalf("Location %q", loc)
	}
	var j jobWithMoves
	r.JSON(t, &j)
	if j.Status != "Planned" || j.StartTime != day+"T09:00:00+02:00" || j.EndTime != day+"T10:30:00+02:00" || j.MovedTo != nil {
		t.Fatalf("moved job %+v", j)
	}
	if got := e.stored(); got != [2]int{before[0] + 1, before[1] + 1} {
		t.Fatalf("events/outbox %v -> %v", before, got)
	}
	typ, data := e.lastEvent(day)
	if typ != workshopevents.SubjectMaintenanceJobMoved || data["planningDate"] != day || data["toPlanningDate"] != day ||
		data["jobId"] != "a" || data["toJobId"] != "a" || data["startTime"] != day+"T09:00:00+02:00" {
		t.Fatalf("stored %s %v", typ, data)
	}
	if got := e.job(day, "a"); got.StartTime != day+"T09:00:00+02:00" || got.Status != "Planned" {
		t.Fatalf("job after move %+v", got)
	}

	// planningDate equal to the path's date is the same.
	if r := e.Do("POST", movePath(day, "c"), map[string]string{"planningDate": day,
		"startTime": day + "T14:00:00+02:00", "endTime": day + "T15:00:00+02:00"}); r.Status != http.StatusOK {
		t.Fatalf("move with own date: %d %s", r.Status, r.Body)
	}
	tests := []struct {
		name   string
		job    string
		body   any
		status int
		detail string
		fields []string
	}{
		{"into a full slot", "c", map[string]string{"startTime": day + "T12:30:00+02:00", "endTime": day + "T12:45:00+02:00"}, 409,
			"Maintenance job overlaps with more than 3 other jobs", nil},
		{"onto its vehicle's other job", "x", map[string]string{"startTime": day + "T17:00:00+02:00", "endTime": day + "T18:00:00+02:00"}, 200, "", nil},
		{"off its day", "c", map[string]string{"startTime": day + "T23:00:00+02:00", "endTime": nextDay + "T01:00:00+02:00"}, 409,
			"The start and end time of a maintenance job must both be on the planning date 2024-05-01.", nil},
		{"end before start", "c", map[string]string{"startTime": day + "T15:00:00+02:00", "endTime": day + "T14:00:00+02:00"}, 400, "", []string{"endTime"}},
		{"missing times", "c", map[string]string{}, 400, "", []string{"endTime", "startTime"}},
		{"bad planningDate", "c", map[string]string{"planningDate": "2024-02-30", "startTime": day + "T14:00:00+02:00",
			"endTime": day + "T15:00:00+02:00"}, 400, "", []string{"planningDate"}},
		{"unknown job", "nope", map[string]string{"startTime": day + "T14:00:00+02:00", "endTime": day + "T15:00:00+02:00"}, 404, "", nil},
		{"no body", "c", nil, 400, "", nil},
	}
	// A third job at 12:00-13:00 so that 12:30 is full, and a job of XX-1-X at 17:00.
	e.plan(day, jobAt("z", "ZZ-1-Z", "12:00", "13:00"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.stored()
			r := e.For(t).Do("POST", movePath(day, tt.job), tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.status == http.StatusOK {
				return
			}
			p := r.Problem(t, tt.status)
			if tt.detail != "" && p.Detail != tt.detail {
				t.Fatalf("detail %q, want %q", p.Detail, tt.detail)
			}
			if tt.fields != nil {
				servicetest.WantFields(t, p, tt.fields...)
			}
			if got := e.stored(); got != before {
				t.Fatalf("rejected request stored something: %v -> %v", before, got)
			}
		})
	}
	e.plan(day, jobAt("x2", "XX-1-X", "19:00", "20:00"))
	if r := e.Do("POST", movePath(day, "x"), map[string]string{"startTime": day + "T19:30:00+02:00",
		"endTime": day + "T20:30:00+02:00"}); r.Status != http.StatusConflict ||
		r.Problem(t, http.StatusConflict).Detail != "Only 1 maintenance job can be executed on a vehicle during a certain time-slot." {
		t.Fatalf("onto its vehicle's other job: %d %s", r.Status, r.Body)
	}
}

func TestMoveJobToAnotherDay(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	e.plan(day, jobAt("a", "AA-1-A", "08:00", "10:00"))
	e.plan(day, jobAt("b", "BB-1-B", "08:00", "10:00"))
	e.plan(day, jobAt("c", "CC-1-C", "08:00", "10:00"))

	r := e.Do("POST", movePath(day, "a"), map[string]string{"planningDate": nextDay,
		"startTime": nextDay + "T13:00:00+02:00", "endTime": nextDay + "T14:00:00+02:00"})
	if r.Status != http.StatusOK {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/workshopplanning/"+nextDay+"/jobs/a" {
		t.Fatalf("Location %q", loc)
	}
	if etag := r.Header.Get("ETag"); etag != `"5"` {
		t.Fatalf("ETag %q, want the old day's new version \"5\"", etag)
	}
	var moved jobWithMoves
	r.JSON(t, &moved)
	if moved.Status != "Planned" || moved.StartTime != nextDay+"T13:00:00+02:00" || moved.JobID != "a" {
		t.Fatalf("moved job %+v", moved)
	}
	// Old day: one MaintenanceJobMoved; new day: created + planned, with the same job.
	if n := e.streamEvents(day); n != 5 {
		t.Fatalf("old day has %d events", n)
	}
	typ, data := e.lastEvent(day)
	if typ != workshopevents.SubjectMaintenanceJobMoved || data["toPlanningDate"] != nextDay || data["toJobId"] != "a" ||
		data["startTime"] != nextDay+"T13:00:00+02:00" {
		t.Fatalf("old day's event %s %v", typ, data)
	}
	if n := e.streamEvents(nextDay); n != 2 {
		t.Fatalf("new day has %d events", n)
	}
	typ, data = e.lastEvent(nextDay)
	if typ != workshopevents.SubjectMaintenanceJobPlanned || data["jobId"] != "a" || data["description"] != "Replace brake pads" {
		t.Fatalf("new day's event %s %v", typ, data)
	}
	if n := e.Count("outbox", ""); n != 6+1 {
		t.Fatalf("outbox rows %d, want 7", n)
	}
	old := e.job(day, "a")
	if old.Status != "Moved" || old.MovedTo == nil || old.MovedTo.PlanningDate != nextDay || old.MovedTo.JobID != "a" ||
		old.StartTime != day+"T08:00:00+02:00" {
		t.Fatalf("job on the old day %+v", old)
	}
	got := e.job(nextDay, "a")
	if got.Customer != old.Customer || got.Vehicle != old.Vehicle || got.Description != old.Description || got.Status != "Planned" {
		t.Fatalf("job on the new day %+v, was %+v", got, old)
	}
	// The old slot is free.
	e.plan(day, jobAt("d", "AA-1-A", "08:00", "10:00"))

	// Into an existing planning: its version is checked and it gets one event.
	e.plan(nextDay, jobOn(nextDay, "taken", "TT-1-T", "08:00", "09:00"))
	if r := e.Do("POST", movePath(day, "b"), map[string]string{"planningDate": nextDay,
		"startTime": nextDay + "T08:00:00+02:00", "endTime": nextDay + "T09:00:00+02:00"}); r.Status != http.StatusOK {
		t.Fatalf("move into existing planning: %d %s", r.Status, r.Body)
	}

	e.plan(day, jobAt("taken", "XX-9-X", "11:00", "12:00"))
	e.plan(nextDay, jobOn(nextDay, "n1", "NN-1-N", "15:00", "16:00"))
	e.plan(nextDay, jobOn(nextDay, "n2", "NN-2-N", "15:00", "16:00"))
	e.plan(nextDay, jobOn(nextDay, "n3", "NN-3-N", "15:00", "16:00"))
	tests := []struct {
		name   string
		from   string // the day the job is on
		job    string
		to     string
		start  string
		end    string
		detail string
	}{
		{"id taken on the new day", day, "taken", nextDay, nextDay + "T17:00", nextDay + "T18:00",
			"A maintenance job with id taken already exists in the planning of 2024-05-02."},
		{"new day full", day, "d", nextDay, nextDay + "T15:30", nextDay + "T15:45", "Maintenance job overlaps with more than 3 other jobs"},
		{"times not on the new day", day, "d", nextDay, day + "T17:00", day + "T18:00",
			"The start and end time of a maintenance job must both be on the planning date 2024-05-02."},
		{"moved-away job", day, "a", "2024-05-03", "2024-05-03T08:00", "2024-05-03T09:00",
			"The job was moved to 2024-05-02 (job a); it can only be changed there."},
		// Its id is still on the day it left (as Moved): no new id is chosen.
		{"back to the day it left", nextDay, "a", day, day + "T14:00", day + "T15:00",
			"A maintenance job with id a already exists in the planning of 2024-05-01."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := [4]int{e.streamEvents(day), e.streamEvents(nextDay), e.streamEvents("2024-05-03"), e.Count("outbox", "")}
			r := e.For(t).Do("POST", movePath(tt.from, tt.job), map[string]string{"planningDate": tt.to,
				"startTime": tt.start + ":00+02:00", "endTime": tt.end + ":00+02:00"})
			if p := r.Problem(t, http.StatusConflict); p.Detail != tt.detail {
				t.Fatalf("detail %q, want %q", p.Detail, tt.detail)
			}
			after := [4]int{e.streamEvents(day), e.streamEvents(nextDay), e.streamEvents("2024-05-03"), e.Count("outbox", "")}
			if after != before {
				t.Fatalf("rejected move stored something: %v -> %v", before, after)
			}
		})
	}
	// The vehicle rule on the new day: d is AA-1-A, whose job a is on the new day at 13:00.
	r = e.Do("POST", movePath(day, "d"), map[string]string{"planningDate": nextDay,
		"startTime": nextDay + "T13:30:00+02:00", "endTime": nextDay + "T14:30:00+02:00"})
	if r.Status != http.StatusConflict ||
		r.Problem(t, http.StatusConflict).Detail != "Only 1 maintenance job can be executed on a vehicle during a certain time-slot." {
		t.Fatalf("vehicle busy on the new day: %d %s", r.Status, r.Body)
	}
}

// TestCrossDayMoveIsAtomic makes the second stream's insert fail inside the database
// (a trigger), and checks that the first stream, the outbox and the history kept
// nothing of the move; without the fault the same move succeeds.
func TestCrossDayMoveIsAtomic(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	e.plan(day, jobAt("a", "AA-1-A", "08:00", "10:00"))
	ctx := context.Background()
	for _, sql := range []string{
		`CREATE FUNCTION refuse_next_day() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.stream_id = '` + nextDay + `' THEN RAISE EXCEPTION 'injected fault'; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER refuse_next_day BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_next_day()`,
	} {
		if _, err := e.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	before := e.stored()
	body := map[string]string{"planningDate": nextDay, "startTime": nextDay + "T08:00:00+02:00", "endTime": nextDay + "T09:00:00+02:00"}
	if r := e.Do("POST", movePath(day, "a"), body); r.Status != http.StatusInternalServerError {
		t.Fatalf("move with the new day's insert failing: %d %s", r.Status, r.Body)
	}
	if got := e.stored(); got != before {
		t.Fatalf("half a move was stored: %v -> %v", before, got)
	}
	if n := e.Count("job_history", "status <> 'Planned'"); n != 0 {
		t.Fatalf("history changed by a failed move: %d rows", n)
	}
	if j := e.job(day, "a"); j.Status != "Planned" {
		t.Fatalf("job after failed move %+v", j)
	}
	if _, err := e.Pool.Exec(ctx, `DROP TRIGGER refuse_next_day ON events`); err != nil {
		t.Fatal(err)
	}
	if r := e.Do("POST", movePath(day, "a"), body); r.Status != http.StatusOK {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	if got := e.stored(); got != [2]int{before[0] + 3, before[1] + 3} {
		t.Fatalf("move stored %v -> %v, want 3 more events and outbox rows", before, got)
	}
}
