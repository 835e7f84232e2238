package ports

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/adapters"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

const maxBody = 64 << 10

// FuzzPlanJobRequest feeds arbitrary dates and bodies to the plan-job request decoder
// and to the whole HTTP stack (over an in-memory event store): nothing may panic, the
// decoder may only fail with 4xx-classified errors, an accepted command must satisfy
// the domain's invariants, and no answer may be a 5xx.
func FuzzPlanJobRequest(f *testing.F) {
	valid := `{"jobId":"job-1","startTime":"2024-05-01T08:00:00+02:00","endTime":"2024-05-01T10:00:00+02:00",
		"description":"APK","customer":{"customerId":"c1","name":"Jane","telephoneNumber":"06"},
		"vehicle":{"licenseNumber":"ab-123-c","brand":"VW","type":"Golf"}}`
	for _, seed := range []struct{ date, body string }{
		{"2024-05-01", valid},
		{"2024-13-45", valid},
		{"yesterday", valid},
		{"2024-05-01", `{}`},
		{"2024-05-01", ``},
		{"2024-05-01", `null`},
		{"2024-05-01", `[]`},
		{"2024-05-01", `{"customer":null,"vehicle":"x"}`},
		{"2024-05-01", `{"startTime":1e999}`},
		{"2024-05-01", `{"jobId":"\u0000","description":"\ud800"}`},
		{"2024-05-01", strings.Replace(valid, "08:00:00+02:00", "08:00:00+99:99", 1)},
		{"2024-05-01", strings.Replace(valid, "ab-123-c", "ab-123-c'; DROP TABLE events;--", 1)},
		{"2024-05-01", strings.Replace(valid, `"APK"`, `"`+strings.Repeat("é", 3000)+`"`, 1)},
		{"0000-01-01", strings.ReplaceAll(valid, "2024-05-01", "0000-01-01")},
		{"2024-05-01", `{"a":` + strings.Repeat("[", 10000)},
	} {
		f.Add(seed.date, []byte(seed.body))
	}

	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	// newRouter is the real router over a fresh in-memory store (fresh per input, so the
	// run stays deterministic and plannings do not grow without bound across inputs).
	newRouter := func() http.Handler {
		repo := adapters.NewPlanningMemoryRepository()
		h := NewPlanningHTTPHandlers(PlanningUseCases{
			Plan:        application.NewPlanMaintenanceJobHandler(repo, application.RetryPolicy{}),
			Finish:      application.NewFinishMaintenanceJobHandler(repo, application.RetryPolicy{}),
			Cancel:      application.NewCancelMaintenanceJobHandler(repo, application.RetryPolicy{}),
			Move:        application.NewMoveMaintenanceJobHandler(repo, application.RetryPolicy{}),
			GetPlanning: application.NewGetPlanningHandler(repo),
			GetJob:      application.NewGetJobHandler(repo),
		}, discard)
		router := httpx.NewRouter(httpx.RouterOptions{Logger: discard, MaxBodyBytes: maxBody})
		h.Routes(router)
		return router
	}

	f.Fuzz(func(t *testing.T, date string, body []byte) {
		// The decoder on its own.
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, maxBody)
		cmd, err := decodePlanJob(req, date)
		var de *httpx.DecodeError
		var ve *problem.ValidationError
		switch {
		case err == nil:
			if _, perr := domain.ParsePlanningDate(date); perr != nil || cmd.Date.String() != date {
				t.Fatalf("accepted bad date %q", date)
			}
			if !cmd.Slot.Start().Before(cmd.Slot.End()) {
				t.Fatalf("accepted slot %v-%v", cmd.Slot.Start(), cmd.Slot.End())
			}
			if ln := cmd.Vehicle.LicenseNumber().String(); ln == "" || ln != strings.ToUpper(ln) {
				t.Fatalf("accepted licence %q", ln)
			}
			if _, jerr := domain.NewMaintenanceJob(domain.JobID{}, cmd.Slot, cmd.Description, cmd.Customer, cmd.Vehicle); jerr != nil &&
				!strings.Contains(jerr.Error(), "jobId") {
				t.Fatalf("accepted command the domain rejects: %v", jerr)
			}
		case errors.As(err, &de):
			if de.Status < 400 || de.Status > 499 {
				t.Fatalf("decode error status %d", de.Status)
			}
		case errors.As(err, &ve):
			if len(ve.Fields) == 0 {
				t.Fatal("validation error without fields")
			}
		default:
			t.Fatalf("unexpected error type %T: %v", err, err)
		}

		// The whole HTTP stack.
		rec := httptest.NewRecorder()
		hreq := httptest.NewRequest("POST", "/api/workshopplanning/"+url.PathEscape(date)+"/jobs", bytes.NewReader(body))
		hreq.Header.Set("Content-Type", "application/json")
		newRouter().ServeHTTP(rec, hreq)
		if rec.Code >= 500 {
			t.Fatalf("status %d for date %q body %q: %s", rec.Code, date, body, rec.Body)
		}
	})
}
