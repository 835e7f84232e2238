package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

var local = time.FixedZone("CEST", 2*60*60)

func date(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func jobDetails(t *testing.T) domain.JobDetails {
	return domain.JobDetails{
		JobID: "j-1", PlanningDate: date(t, "2024-05-01"), CustomerID: "c-1", Description: "APK", LicenseNumber: "AB-123-C",
		Start: time.Date(2024, 5, 1, 8, 0, 0, 0, local), End: time.Date(2024, 5, 1, 10, 0, 0, 0, local),
	}
}

func TestNewJob(t *testing.T) {
	t.Parallel()
	with := func(f func(*domain.JobDetails)) domain.JobDetails { d := jobDetails(t); f(&d); return d }
	for _, tc := range []struct {
		name string
		in   domain.JobDetails
		want []string
	}{
		{"valid", jobDetails(t), nil},
		{"multi-line description", with(func(d *domain.JobDetails) { d.Description = "brakes\nand tyres" }), nil},
		{"no description", with(func(d *domain.JobDetails) { d.Description = "" }), nil},
		{"no job id", with(func(d *domain.JobDetails) { d.JobID = "" }), []string{"jobId"}},
		{"no customer", with(func(d *domain.JobDetails) { d.CustomerID = "" }), []string{"customerId"}},
		{"no date", with(func(d *domain.JobDetails) { d.PlanningDate = domain.Date{} }), []string{"planningDate"}},
		{"no start", with(func(d *domain.JobDetails) { d.Start = time.Time{} }), []string{"startTime"}},
		{"no end", with(func(d *domain.JobDetails) { d.End = time.Time{} }), []string{"endTime"}},
		{"end at start", with(func(d *domain.JobDetails) { d.End = d.Start }), []string{"endTime"}},
		{"end before start", with(func(d *domain.JobDetails) { d.End = d.Start.Add(-time.Hour) }), []string{"endTime"}},
		{"NUL in description", with(func(d *domain.JobDetails) { d.Description = "a\x00b" }), []string{"description"}},
		{"licence with newline", with(func(d *domain.JobDetails) { d.LicenseNumber = "AB\n12" }), []string{"licenseNumber"}},
		{"job id too long", with(func(d *domain.JobDetails) { d.JobID = strings.Repeat("j", 201) }), []string{"jobId"}},
		{"customer id too long", with(func(d *domain.JobDetails) { d.CustomerID = strings.Repeat("c", 201) }), []string{"customerId"}},
		{"description too long", with(func(d *domain.JobDetails) { d.Description = strings.Repeat("d", 10001) }), []string{"description"}},
		{"licence too long", with(func(d *domain.JobDetails) { d.LicenseNumber = strings.Repeat("L", 101) }), []string{"licenseNumber"}},
		{"everything wrong", domain.JobDetails{Description: "\xff"},
			[]string{"customerId", "description", "jobId", "planningDate", "startTime"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j, err := domain.NewJob(tc.in)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if !reflect.DeepEqual(j.Details(), tc.in) || j.ID() != tc.in.JobID || j.CustomerID() != tc.in.CustomerID ||
					j.PlanningDate() != tc.in.PlanningDate || !j.Start().Equal(tc.in.Start) || !j.End().Equal(tc.in.End) ||
					j.Description() != tc.in.Description || j.LicenseNumber() != tc.in.LicenseNumber {
					t.Errorf("job %+v, want %+v", j.Details(), tc.in)
				}
				return
			}
			if got := fieldsOf(t, err, domain.ErrInvalidJob); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("invalid fields %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewJobKey(t *testing.T) {
	t.Parallel()
	d := date(t, "2024-05-01")
	for _, tc := range []struct {
		name  string
		date  domain.Date
		jobID string
		want  []string
	}{
		{"valid", d, "j-1", nil},
		{"no id", d, "", []string{"jobId"}},
		{"id with NUL", d, "j\x00", []string{"jobId"}},
		{"id too long", d, strings.Repeat("j", 201), []string{"jobId"}},
		{"no date", domain.Date{}, "j-1", []string{"planningDate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := domain.NewJobKey(tc.date, tc.jobID)
			if tc.want == nil {
				if err != nil || k.JobID() != tc.jobID || k.PlanningDate() != tc.date {
					t.Fatalf("key %+v, %v", k, err)
				}
				return
			}
			if got := fieldsOf(t, err, domain.ErrInvalidJob); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("invalid fields %v, want %v", got, tc.want)
			}
		})
	}
}
