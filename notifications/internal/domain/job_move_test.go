package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

func TestNewJobMove(t *testing.T) {
	t.Parallel()
	k, err := domain.NewJobKey(date(t, "2024-05-01"), "j-1")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h int) time.Time { return time.Date(2024, 5, 1, h, 0, 0, 0, local) }
	for _, tc := range []struct {
		name       string
		to         domain.Date
		start, end time.Time
		within     bool
		fields     []string
	}{
		{name: "within the day", to: date(t, "2024-05-01"), start: at(14), end: at(16), within: true},
		{name: "to another day, times not needed", to: date(t, "2024-05-02")},
		{name: "no day", fields: []string{domain.FieldToPlanningDate}},
		{name: "within the day without a start", to: date(t, "2024-05-01"), end: at(16), fields: []string{domain.FieldStartTime}},
		{name: "within the day without an end", to: date(t, "2024-05-01"), start: at(16), fields: []string{domain.FieldEndTime}},
		{name: "within the day ending at its start", to: date(t, "2024-05-01"), start: at(16), end: at(16),
			fields: []string{domain.FieldEndTime}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := domain.NewJobMove(k, tc.to, tc.start, tc.end)
			if len(tc.fields) > 0 {
				var verr *domain.ValidationError
				if !errors.As(err, &verr) || !errors.Is(err, domain.ErrInvalidJob) {
					t.Fatalf("error %v, want a validation error of an invalid job", err)
				}
				if len(verr.Fields) != len(tc.fields) || verr.Fields[0].Field != tc.fields[0] {
					t.Errorf("fields %+v, want %v", verr.Fields, tc.fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.WithinDay() != tc.within || m.To() != tc.to || m.Job() != k || !m.Start().Equal(tc.start) {
				t.Errorf("move %+v", m)
			}
		})
	}
	if _, err := domain.NewJobMove(domain.JobKey{}, date(t, "2024-05-02"), time.Time{}, time.Time{}); !errors.Is(err, domain.ErrInvalidJob) {
		t.Errorf("a move of no job: %v", err)
	}
}
