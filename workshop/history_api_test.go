package workshop_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

type historyItem struct {
	jobWithMoves
	PlanningDate string `json:"planningDate"`
}

type historyPage struct {
	Items []historyItem `json:"items"`
	Next  string        `json:"next"`
}

// history walks every page of the history with the given query and page size.
func (e *env) history(query string, limit int) []historyItem {
	e.T.Helper()
	var all []historyItem
	cursor := ""
	for range 50 {
		path := "/api/workshopplanning/history?" + query + "&limit=" + strconv.Itoa(limit)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.Do("GET", path, nil)
		if r.Status != http.StatusOK {
			e.T.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		var p historyPage
		r.JSON(e.T, &p)
		if len(p.Items) > limit {
			e.T.Fatalf("page of %d items with limit %d", len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		cursor = p.Next
	}
	e.T.Fatal("history does not end")
	return nil
}

func TestHistoryAcrossDays(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{})
	other := func(b jobBody) jobBody {
		b.Customer = map[string]any{"customerId": "c-2", "name": "John", "telephoneNumber": "06"}
		return b
	}
	// Vehicle AB-1-C of customer c-1 on three days; another vehicle of c-1; a job of c-2.
	e.plan("2024-04-30", jobOn("2024-04-30", "old", "AB-1-C", "08:00", "09:00"))
	if r := e.Do("PUT", "/api/workshopplanning/2024-04-30/jobs/old/finish", map[string]string{
		"actualStartTime": "2024-04-30T08:10:00+02:00", "actualEndTime": "2024-04-30T09:20:00+02:00", "notes": "Oil"}); r.Status != http.StatusOK {
		t.Fatalf("finish: %d %s", r.Status, r.Body)
	}
	e.plan(day, jobAt("early", "AB-1-C", "08:00", "09:00"))
	e.plan(day, jobAt("late", "AB-1-C", "14:00", "15:00"))
	e.plan(day, jobAt("other-car", "XY-9-Z", "08:00", "09:00"))
	e.plan(day, other(jobAt("stranger", "QQ-1-Q", "08:00", "09:00")))
	if r := e.Do("POST", cancelPath(day, "early"), map[string]string{"reason": "No show"}); r.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", movePath(day, "late"), map[string]string{"planningDate": "2024-05-03",
		"startTime": "2024-05-03T10:00:00+02:00", "endTime": "2024-05-03T11:00:00+02:00"}); r.Status != http.StatusOK {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}

	type row struct{ date, id, status string }
	rows := func(items []historyItem) []row {
		var out []row
		for _, i := range items {
			out = append(out, row{i.PlanningDate, i.JobID, i.Status})
		}
		return out
	}
	want := []row{
		{"2024-05-03", "late", "Planned"},
		{day, "late", "Moved"},
		{day, "early", "Cancelled"},
		{"2024-04-30", "old", "Completed"},
	}
	for _, limit := range []int{1, 2, 50} {
		got := e.history("licenseNumber=ab-1-c", limit)
		if !slices.Equal(rows(got), want) {
			t.Fatalf("limit %d: history %v, want %v", limit, rows(got), want)
		}
	}
	items := e.history("licenseNumber=AB-1-C", 50)
	if moved := items[1]; moved.MovedTo == nil || moved.MovedTo.PlanningDate != "2024-05-03" || moved.MovedTo.JobID != "late" {
		t.Fatalf("moved entry %+v", moved)
	}
	if c := items[2]; c.CancellationReason == nil || *c.CancellationReason != "No show" || c.StartTime != day+"T08:00:00+02:00" {
		t.Fatalf("cancelled entry %+v", c)
	}
	if f := items[3]; f.ActualStartTime == nil || *f.ActualStartTime != "2024-04-30T08:10:00+02:00" || f.Notes == nil ||
		*f.Notes != "Oil" || f.Customer.CustomerID != "c-1" || f.Vehicle.Brand != "Volkswagen" {
		t.Fatalf("finished entry %+v", f)
	}
	if p := items[0]; p.StartTime != "2024-05-03T10:00:00+02:00" || p.ActualStartTime != nil {
		t.Fatalf("planned entry %+v", p)
	}

	byCustomer := rows(e.history("customerId=c-1", 2))
	wantCustomer := []row{{"2024-05-03", "late", "Planned"}, {day, "late", "Moved"}, {day, "other-car", "Planned"},
		{day, "early", "Cancelled"}, {"2024-04-30", "old", "Completed"}}
	if !slices.Equal(byCustomer, wantCustomer) {
		t.Fatalf("customer history %v, want %v", byCustomer, wantCustomer)
	}
	if got := rows(e.history("customerId=c-2", 10)); !slices.Equal(got, []row{{day, "stranger", "Planned"}}) {
		t.Fatalf("other customer's history %v", got)
	}
	if got := e.history("customerId=nobody", 10); len(got) != 0 {
		t.Fatalf("unknown customer's history %v", got)
	}

	for _, tt := range []struct {
		name, query string
		fields      []string
	}{
		{"neither", "", nil},
		{"both", "licenseNumber=AB-1-C&customerId=c-1", nil},
		{"bad licence number", "licenseNumber=AB-1234-C", []string{"licenseNumber"}},
		{"bad cursor", "customerId=c-1&cursor=bm9wZQ", []string{"cursor"}},
		{"cursor of another list", "customerId=c-1&cursor=aDE6eA", []string{"cursor"}},
		{"bad limit", "customerId=c-1&limit=0", []string{"limit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.For(t).Do("GET", "/api/workshopplanning/history?"+tt.query, nil)
			p := r.Problem(t, http.StatusBadRequest)
			if tt.fields != nil {
				servicetest.WantFields(t, p, tt.fields...)
			}
		})
	}
}
