package ports

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/workshop/internal/adapters"
	"github.com/pitstop/pitstop/workshop/internal/application"
)

// FuzzMoveAndCancelRequests sends arbitrary job ids, bodies and If-Match headers to the
// move and cancel routes (over an in-memory store holding one planned job): no answer
// may be a 5xx.
func FuzzMoveAndCancelRequests(f *testing.F) {
	for _, seed := range []struct {
		id, body, ifMatch string
	}{
		{"job-1", `{"startTime":"2024-05-01T11:00:00+02:00","endTime":"2024-05-01T12:00:00+02:00"}`, ""},
		{"job-1", `{"planningDate":"2024-05-02","startTime":"2024-05-02T11:00:00+02:00","endTime":"2024-05-02T12:00:00+02:00"}`, `"2"`},
		{"job-1", `{"planningDate":"2024-02-30","startTime":"x","endTime":null}`, `W/"2"`},
		{"job-1", `{"reason":"ill"}`, "*"},
		{"job-1", `{"reason":"\u0000"}`, `"99999999999999999999"`},
		{"nope", ``, `"1", "2"`},
		{"%00", `[]`, `"`},
		{"job-1", `{"planningDate":"0000-01-01","startTime":"0000-01-01T00:00:00Z","endTime":"0000-01-01T00:00:01Z"}`, ""},
	} {
		f.Add(seed.id, []byte(seed.body), seed.ifMatch)
	}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, id string, body []byte, ifMatch string) {
		repo := adapters.NewPlanningMemoryRepository()
		plan := application.NewPlanMaintenanceJobHandler(repo, application.RetryPolicy{})
		h := NewPlanningHTTPHandlers(PlanningUseCases{
			Plan:        plan,
			Finish:      application.NewFinishMaintenanceJobHandler(repo, application.RetryPolicy{}),
			Cancel:      application.NewCancelMaintenanceJobHandler(repo, application.RetryPolicy{}),
			Move:        application.NewMoveMaintenanceJobHandler(repo, application.RetryPolicy{}),
			GetPlanning: application.NewGetPlanningHandler(repo),
			GetJob:      application.NewGetJobHandler(repo),
		}, discard)
		router := httpx.NewRouter(httpx.RouterOptions{Logger: discard, MaxBodyBytes: maxBody})
		h.Routes(router)
		seed := httptest.NewRequest("POST", "/api/workshopplanning/2024-05-01/jobs", bytes.NewReader([]byte(
			`{"jobId":"job-1","startTime":"2024-05-01T08:00:00+02:00","endTime":"2024-05-01T10:00:00+02:00",
			"description":"APK","customer":{"customerId":"c1","name":"Jane","telephoneNumber":"06"},
			"vehicle":{"licenseNumber":"ab-123-c","brand":"VW","type":"Golf"}}`)))
		seed.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, seed)
		if rec.Code != http.StatusCreated {
			t.Fatalf("seed job: %d %s", rec.Code, rec.Body)
		}
		for _, op := range []string{"move", "cancel"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/api/workshopplanning/2024-05-01/jobs/"+url.PathEscape(id)+"/"+op, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			router.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %q %q If-Match %q: %d %s", op, id, body, ifMatch, rec.Code, rec.Body)
			}
		}
	})
}

func TestParseIfMatch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		header string
		holds  []int64 // versions the precondition allows
		fails  []int64 // versions it refuses (412)
		bad    bool    // 400
	}{
		{"", []int64{0, 3}, nil, false}, {"*", []int64{0, 3}, nil, false},
		{` "3" `, []int64{3}, []int64{0, 2, 4}, false}, {`"0"`, []int64{0}, []int64{1}, false},
		{`W/"3"`, nil, []int64{3}, false}, {`"3", "4"`, []int64{3, 4}, []int64{5}, false},
		{`W/"3","5"`, []int64{5}, []int64{3}, false},
		// Tags this service never hands out name no version: the write fails (412).
		{`"x"`, nil, []int64{0, 1}, false}, {`"-1"`, nil, []int64{0, 1}, false}, {`"03"`, nil, []int64{3}, false},
		{`3`, nil, nil, true}, {`"3`, nil, nil, true}, {`*, "3"`, nil, nil, true}, {`,`, nil, nil, true},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		if tt.header != "" {
			r.Header.Set("If-Match", tt.header)
		}
		got, err := parseIfMatch(r)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: accepted as %v", tt.header, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.header, err)
			continue
		}
		for _, v := range tt.holds {
			if !got.Holds(v) {
				t.Errorf("%q refuses version %d", tt.header, v)
			}
		}
		for _, v := range tt.fails {
			if got.Holds(v) {
				t.Errorf("%q allows version %d", tt.header, v)
			}
		}
	}
}
