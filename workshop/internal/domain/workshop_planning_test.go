package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

const day = "2024-05-01"

var amsterdam = time.FixedZone("CEST", 2*60*60)

// at parses "15:04" on day (or "2006-01-02 15:04") in +02:00.
func at(t *testing.T, hm string) time.Time {
	t.Helper()
	layout, v := "2006-01-02 15:04", hm
	if len(hm) == 5 {
		v = day + " " + hm
	}
	ts, err := time.ParseInLocation(layout, v, amsterdam)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func slot(t *testing.T, from, to string) domain.Timeslot {
	t.Helper()
	s, err := domain.NewTimeslot(at(t, from), at(t, to))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func job(t *testing.T, id, plate, from, to string) domain.MaintenanceJob {
	t.Helper()
	jid, err := domain.NewJobID(id)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := domain.NewLicenseNumber(plate)
	if err != nil {
		t.Fatal(err)
	}
	c, err := domain.NewJobCustomer("c-1", "Jane Doe", "0612345678")
	if err != nil {
		t.Fatal(err)
	}
	v, err := domain.NewJobVehicle(ln, "Volkswagen", "Golf")
	if err != nil {
		t.Fatal(err)
	}
	j, err := domain.NewMaintenanceJob(jid, slot(t, from, to), "APK", c, v)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func newPlanning(t *testing.T) *domain.WorkshopPlanning {
	t.Helper()
	d, err := domain.ParsePlanningDate(day)
	if err != nil {
		t.Fatal(err)
	}
	p, err := domain.NewWorkshopPlanning(d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func jobID(t *testing.T, s string) domain.JobID {
	t.Helper()
	id, err := domain.NewJobID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type planned struct{ id, plate, from, to string }

func TestPlanMaintenanceJobRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing []planned
		job      planned
		wantRule error // nil: accepted
	}{
		{"empty planning", nil, planned{"j", "AB-123-C", "08:00", "10:00"}, nil},
		{"touching slots on one vehicle do not overlap",
			[]planned{{"a", "AB-123-C", "08:00", "10:00"}}, planned{"j", "AB-123-C", "10:00", "12:00"}, nil},
		{"touching slots of three jobs do not overlap",
			[]planned{{"a", "1-A-1", "08:00", "10:00"}, {"b", "1-A-2", "08:00", "10:00"}, {"c", "1-A-3", "08:00", "10:00"}},
			planned{"j", "1-A-4", "10:00", "12:00"}, nil},
		{"three concurrent jobs are fine",
			[]planned{{"a", "1-A-1", "08:00", "12:00"}, {"b", "1-A-2", "08:00", "12:00"}},
			planned{"j", "1-A-3", "09:00", "10:00"}, nil},
		{"a 4th concurrent job is rejected",
			[]planned{{"a", "1-A-1", "08:00", "12:00"}, {"b", "1-A-2", "09:00", "11:00"}, {"c", "1-A-3", "10:00", "13:00"}},
			planned{"j", "1-A-4", "10:30", "10:45"}, domain.ErrTooManyConcurrentJobsRule},
		{"a 4th concurrent job overlapping only partly is rejected",
			[]planned{{"a", "1-A-1", "08:00", "12:00"}, {"b", "1-A-2", "08:00", "12:00"}, {"c", "1-A-3", "11:00", "14:00"}},
			planned{"j", "1-A-4", "11:59", "15:00"}, domain.ErrTooManyConcurrentJobsRule},
		{"a job after one of three ends is accepted",
			[]planned{{"a", "1-A-1", "08:00", "10:00"}, {"b", "1-A-2", "08:00", "12:00"}, {"c", "1-A-3", "08:00", "12:00"}},
			planned{"j", "1-A-4", "10:00", "12:00"}, nil},
		{"three overlapping jobs that never run all at once leave room",
			// a and c do not overlap: at most two of a, b, c run at any instant.
			[]planned{{"a", "1-A-1", "08:00", "10:00"}, {"b", "1-A-2", "08:00", "13:00"}, {"c", "1-A-3", "10:00", "13:00"}},
			planned{"j", "1-A-4", "09:00", "11:00"}, nil},
		{"same vehicle overlapping is rejected",
			[]planned{{"a", "AB-123-C", "08:00", "10:00"}}, planned{"j", "AB-123-C", "09:59", "11:00"}, domain.ErrVehicleBusyRule},
		{"same vehicle, different case, overlapping is rejected",
			[]planned{{"a", "AB-123-C", "08:00", "10:00"}}, planned{"j", "ab-123-c", "08:30", "09:00"}, domain.ErrVehicleBusyRule},
		{"different vehicles overlapping are fine",
			[]planned{{"a", "AB-123-C", "08:00", "10:00"}}, planned{"j", "AB-123-D", "08:00", "10:00"}, nil},
		{"job spanning two days is rejected",
			nil, planned{"j", "AB-123-C", "22:00", "2024-05-02 01:00"}, domain.ErrOutsidePlanningDateRule},
		{"job ending at next midnight is rejected",
			nil, planned{"j", "AB-123-C", "22:00", "2024-05-02 00:00"}, domain.ErrOutsidePlanningDateRule},
		{"job on another day is rejected",
			nil, planned{"j", "AB-123-C", "2024-05-02 08:00", "2024-05-02 09:00"}, domain.ErrOutsidePlanningDateRule},
		{"duplicate job id with a different job is rejected",
			[]planned{{"a", "AB-123-C", "08:00", "10:00"}}, planned{"a", "AB-123-D", "11:00", "12:00"}, domain.ErrDuplicateJobIDRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPlanning(t)
			for _, e := range tt.existing {
				if err := p.PlanMaintenanceJob(job(t, e.id, e.plate, e.from, e.to)); err != nil {
					t.Fatalf("plan existing %s: %v", e.id, err)
				}
			}
			before := len(p.Changes())
			err := p.PlanMaintenanceJob(job(t, tt.job.id, tt.job.plate, tt.job.from, tt.job.to))
			if tt.wantRule == nil {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				if got := len(p.Changes()); got != before+1 {
					t.Fatalf("want one new event, got %d", got-before)
				}
				if _, ok := p.Job(jobID(t, tt.job.id)); !ok {
					t.Fatal("planned job not in the planning")
				}
				return
			}
			if !errors.Is(err, tt.wantRule) {
				t.Fatalf("want %v, got %v", tt.wantRule, err)
			}
			var rv *domain.RuleViolation
			if !errors.As(err, &rv) || rv.Message == "" {
				t.Fatalf("want a *RuleViolation with a message, got %#v", err)
			}
			if got := len(p.Changes()); got != before {
				t.Fatalf("rejected command recorded %d events", got-before)
			}
			if n := len(p.Jobs()); n != len(tt.existing) {
				t.Fatalf("rejected command changed the jobs: %d", n)
			}
		})
	}
}

func TestRuleMessages(t *testing.T) {
	t.Parallel()
	p := newPlanning(t)
	for i, plate := range []string{"1-A-1", "1-A-2", "1-A-3"} {
		if err := p.PlanMaintenanceJob(job(t, string(rune('a'+i)), plate, "08:00", "10:00")); err != nil {
			t.Fatal(err)
		}
	}
	err := p.PlanMaintenanceJob(job(t, "d", "1-A-4", "09:00", "09:30"))
	if err == nil || err.Error() != domain.MsgTooManyConcurrentJobs {
		t.Fatalf("want %q, got %v", domain.MsgTooManyConcurrentJobs, err)
	}
	err = p.PlanMaintenanceJob(job(t, "e", "1-A-1", "09:00", "11:00"))
	if err == nil || err.Error() != "Only 1 maintenance job can be executed on a vehicle during a certain time-slot." {
		t.Fatalf("vehicle rule message: %v", err)
	}
}

func TestPlanSameJobAgainIsNoOp(t *testing.T) {
	t.Parallel()
	p := newPlanning(t)
	if err := p.PlanMaintenanceJob(job(t, "a", "AB-123-C", "08:00", "10:00")); err != nil {
		t.Fatal(err)
	}
	n := len(p.Changes())
	// Same instants written in another offset are the same job.
	again := job(t, "a", "ab-123-c", "08:00", "10:00")
	if err := p.PlanMaintenanceJob(again); err != nil {
		t.Fatalf("identical job again: %v", err)
	}
	if len(p.Changes()) != n || len(p.Jobs()) != 1 {
		t.Fatalf("identical job again recorded something: %d events, %d jobs", len(p.Changes()), len(p.Jobs()))
	}
}

func TestFinishMaintenanceJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		finish  string
		twice   bool
		wantErr error
	}{
		{"finish a planned job", "a", false, nil},
		{"finish an unknown job", "nope", false, domain.ErrJobNotFound},
		{"finish twice", "a", true, domain.ErrJobAlreadyFinished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPlanning(t)
			if err := p.PlanMaintenanceJob(job(t, "a", "AB-123-C", "08:00", "10:00")); err != nil {
				t.Fatal(err)
			}
			actual := slot(t, "08:10", "10:20")
			if tt.twice {
				if err := p.FinishMaintenanceJob(jobID(t, tt.finish), actual, "first"); err != nil {
					t.Fatal(err)
				}
			}
			before := len(p.Changes())
			err := p.FinishMaintenanceJob(jobID(t, tt.finish), actual, "done")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("want %v, got %v", tt.wantErr, err)
			}
			if tt.wantErr != nil {
				if len(p.Changes()) != before {
					t.Fatal("rejected finish recorded an event")
				}
				if errors.Is(tt.wantErr, domain.ErrJobAlreadyFinished) && err.Error() != "An already finished job can not be finished." {
					t.Fatalf("message: %q", err.Error())
				}
				return
			}
			j, _ := p.Job(jobID(t, "a"))
			got, ok := j.ActualSlot()
			if j.Status() != domain.StatusCompleted || !ok || !got.Equal(actual) || j.Notes() != "done" {
				t.Fatalf("finished job: status %v actual %v notes %q", j.Status(), got, j.Notes())
			}
		})
	}
}

func TestNewTimeslot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to string
		ok       bool
	}{
		{"start before end", "08:00", "09:00", true},
		{"start after end", "10:00", "09:00", false},
		{"empty slot", "10:00", "10:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.NewTimeslot(at(t, tt.from), at(t, tt.to))
			if tt.ok != (err == nil) {
				t.Fatalf("ok=%v, err=%v", tt.ok, err)
			}
			if err != nil && !(errors.Is(err, domain.ErrInvalidTimeslot) && errors.Is(err, domain.ErrInvalidValue)) {
				t.Fatalf("want ErrInvalidTimeslot, got %v", err)
			}
		})
	}
}

func TestNewLicenseNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"AB-123-C", "AB-123-C", true},
		{"ab-123-c", "AB-123-C", true},
		{"1-abc-23", "1-ABC-23", true},
		{"999-999-999", "999-999-999", true},
		{"AB-12A-C", "", false},
		{"ABCD-1-2", "", false},
		{"AB-123", "", false},
		{"AB_123_C", "", false},
		{"", "", false},
		{"AB-123-C ", "", false},
		{"AB-123-C\n", "", false},
		{"\u212a-1-1", "", false}, // KELVIN SIGN matches (?i)k, but is no licence letter
		{"\u017f-1-1", "", false}, // LATIN SMALL LETTER LONG S likewise
		{"\uff21-1-1", "", false}, // FULLWIDTH A
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			l, err := domain.NewLicenseNumber(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ok=%v err=%v", tt.ok, err)
			}
			if err != nil && !errors.Is(err, domain.ErrInvalidValue) {
				t.Fatalf("want ErrInvalidValue, got %v", err)
			}
			if l.String() != tt.want {
				t.Fatalf("got %q want %q", l.String(), tt.want)
			}
		})
	}
}

func TestParsePlanningDate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2024-05-01", true}, {"2024-02-29", true}, {"2023-02-29", false}, {"2024-13-45", false},
		{"yesterday", false}, {"2024-5-1", false}, {"2024-05-01T00:00:00Z", false}, {"", false}, {" 2024-05-01", false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, err := domain.ParsePlanningDate(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ok=%v err=%v", tt.ok, err)
			}
			if tt.ok && d.String() != tt.in {
				t.Fatalf("String() = %q", d.String())
			}
		})
	}
}

func TestReplayGivesSameStateAsLiveCommands(t *testing.T) {
	t.Parallel()
	live := newPlanning(t)
	steps := []func() error{
		func() error { return live.PlanMaintenanceJob(job(t, "a", "AB-123-C", "08:00", "10:00")) },
		func() error { return live.PlanMaintenanceJob(job(t, "b", "AB-123-D", "08:00", "12:00")) },
		func() error { return live.PlanMaintenanceJob(job(t, "c", "AB-123-E", "09:00", "11:00")) },
		func() error { return live.FinishMaintenanceJob(jobID(t, "a"), slot(t, "08:05", "09:55"), "brakes") },
		func() error { return live.PlanMaintenanceJob(job(t, "d", "AB-123-C", "10:00", "12:00")) },
		func() error { return live.FinishMaintenanceJob(jobID(t, "c"), slot(t, "09:00", "11:30"), "") },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// Rejected commands leave no trace in the events either.
	if err := live.PlanMaintenanceJob(job(t, "e", "AB-123-F", "09:30", "09:45")); err == nil {
		t.Fatal("4th concurrent job accepted")
	}
	history := live.Changes()
	if len(history) != 1+4+2 {
		t.Fatalf("recorded %d events", len(history))
	}
	replayed, err := domain.RehydratePlanning(live.Date(), history)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(replayed.Jobs(), live.Jobs()) || replayed.Date() != live.Date() {
		t.Fatalf("replayed state differs:\n%+v\n%+v", replayed.Jobs(), live.Jobs())
	}
	if replayed.Version() != len(history) || len(replayed.Changes()) != 0 {
		t.Fatalf("replayed version %d, changes %d", replayed.Version(), len(replayed.Changes()))
	}
	// The replayed planning enforces the same rules as the live one.
	if err := replayed.PlanMaintenanceJob(job(t, "e", "AB-123-F", "09:30", "09:45")); !errors.Is(err, domain.ErrTooManyConcurrentJobsRule) {
		t.Fatalf("replayed planning: want concurrency rule, got %v", err)
	}
	if err := replayed.FinishMaintenanceJob(jobID(t, "a"), slot(t, "08:00", "09:00"), ""); !errors.Is(err, domain.ErrJobAlreadyFinished) {
		t.Fatalf("replayed planning: want already finished, got %v", err)
	}
}

func TestRehydrateRejectsInvalidStreams(t *testing.T) {
	t.Parallel()
	d, _ := domain.ParsePlanningDate(day)
	other, _ := domain.ParsePlanningDate("2024-05-02")
	j := job(t, "a", "AB-123-C", "08:00", "10:00")
	planned := domain.MaintenanceJobPlanned{JobID: j.ID(), Slot: j.Slot(), Description: j.Description(),
		Customer: j.Customer(), Vehicle: j.Vehicle()}
	for name, h := range map[string][]domain.Event{
		"empty":         nil,
		"no created":    {planned},
		"other date":    {domain.WorkshopPlanningCreated{Date: other}},
		"created twice": {domain.WorkshopPlanningCreated{Date: d}, domain.WorkshopPlanningCreated{Date: d}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := domain.RehydratePlanning(d, h); !errors.Is(err, domain.ErrInvalidEventStream) {
				t.Fatalf("want ErrInvalidEventStream, got %v", err)
			}
		})
	}
}
