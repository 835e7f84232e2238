package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// fields lists the Field of every *InvalidValueError in err's tree.
func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		var ive *domain.InvalidValueError
		if x, ok := e.(*domain.InvalidValueError); ok {
			out = append(out, x.Field)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, c := range j.Unwrap() {
				walk(c)
			}
			return
		}
		if errors.As(e, &ive) {
			out = append(out, ive.Field)
		}
	}
	walk(err)
	slices.Sort(out)
	return out
}

func TestValueConstructorsNameTheBadFields(t *testing.T) {
	t.Parallel()
	ln, _ := domain.NewLicenseNumber("AB-123-C")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"customer all missing", func() error { _, err := domain.NewJobCustomer("", " ", ""); return err }(),
			[]string{"customerId", "name", "telephoneNumber"}},
		{"customer NUL and too long", func() error {
			_, err := domain.NewJobCustomer("c\x00", strings.Repeat("x", domain.MaxNameLength+1), "06")
			return err
		}(), []string{"customerId", "name"}},
		{"vehicle brand with newline", func() error { _, err := domain.NewJobVehicle(ln, "VW\n", "Golf"); return err }(),
			[]string{"brand"}},
		{"vehicle without licence", func() error { _, err := domain.NewJobVehicle(domain.LicenseNumber{}, "", "Golf"); return err }(),
			[]string{"brand", "licenseNumber"}},
		{"job id", func() error { _, err := domain.NewJobID("-x"); return err }(), []string{"jobId"}},
		{"job id too long", func() error { _, err := domain.NewJobID(strings.Repeat("a", 65)); return err }(), []string{"jobId"}},
		{"job without parts", func() error {
			_, err := domain.NewMaintenanceJob(domain.JobID{}, domain.Timeslot{}, "", domain.JobCustomer{}, domain.JobVehicle{})
			return err
		}(), []string{"customer", "description", "jobId", "slot", "vehicle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !errors.Is(tt.err, domain.ErrInvalidValue) {
				t.Fatalf("want ErrInvalidValue, got %v", tt.err)
			}
			if got := fields(tt.err); !slices.Equal(got, tt.want) {
				t.Fatalf("fields %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMultiLineTextAllowedInDescriptionAndNotes(t *testing.T) {
	t.Parallel()
	p := newPlanning(t)
	j := job(t, "a", "AB-123-C", "08:00", "10:00")
	j2, err := domain.NewMaintenanceJob(j.ID(), j.Slot(), "line 1\nline 2\ttab", j.Customer(), j.Vehicle())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PlanMaintenanceJob(j2); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishMaintenanceJob(j.ID(), slot(t, "08:00", "09:00"), "bad\x00notes"); !errors.Is(err, domain.ErrInvalidValue) {
		t.Fatalf("NUL in notes: %v", err)
	}
	if err := p.FinishMaintenanceJob(j.ID(), slot(t, "08:00", "09:00"), "ok\r\nnotes"); err != nil {
		t.Fatal(err)
	}
}
