package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

const nextDay = "2024-05-02"

// otherPlanning is a fresh planning of nextDay.
func otherPlanning(t *testing.T) *domain.WorkshopPlanning {
	t.Helper()
	d, _ := domain.ParsePlanningDate(nextDay)
	p, err := domain.NewWorkshopPlanning(d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// nextDaySlot is a slot on nextDay in +02:00.
func nextDaySlot(t *testing.T, from, to string) domain.Timeslot {
	t.Helper()
	return slot(t, nextDay+" "+from, nextDay+" "+to)
}

// prepare plans a, b and c (08:00-10:00, three workstations full), and then finishes
// "done" and cancels "gone" when they are among the given states.
func prepare(t *testing.T, states ...string) *domain.WorkshopPlanning {
	t.Helper()
	p := newPlanning(t)
	for i, id := range []string{"a", "b", "c"} {
		if err := p.PlanMaintenanceJob(job(t, id, []string{"AA-1-A", "BB-1-B", "CC-1-C"}[i], "08:00", "10:00")); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range states {
		switch s {
		case "done":
			if err := p.PlanMaintenanceJob(job(t, "done", "DD-1-D", "12:00", "13:00")); err != nil {
				t.Fatal(err)
			}
			if err := p.FinishMaintenanceJob(jobID(t, "done"), slot(t, "12:00", "13:00"), ""); err != nil {
				t.Fatal(err)
			}
		case "gone":
			if err := p.PlanMaintenanceJob(job(t, "gone", "EE-1-E", "14:00", "15:00")); err != nil {
				t.Fatal(err)
			}
			if err := p.CancelMaintenanceJob(jobID(t, "gone"), "customer called"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

func TestCancelMaintenanceJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cancel  string
		reason  string
		wantErr error
		wantMsg string
	}{
		{"cancel a planned job", "a", "customer is ill", nil, ""},
		{"cancel without reason", "a", "", nil, ""},
		{"cancel with a multi-line reason", "a", "line one\nline two", nil, ""},
		{"cancel an unknown job", "nope", "", domain.ErrJobNotFound, ""},
		{"cancel a finished job", "done", "", domain.ErrJobAlreadyFinished, domain.MsgFinishedJobCancel},
		{"cancel a cancelled job", "gone", "", domain.ErrJobCancelledRule, domain.MsgJobAlreadyCancelled},
		{"reason too long", "a", strings.Repeat("x", domain.MaxReasonLength+1), domain.ErrInvalidValue, ""},
		{"reason with control characters", "a", "bad\x00reason", domain.ErrInvalidValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := prepare(t, "done", "gone")
			before := len(p.Changes())
			err := p.CancelMaintenanceJob(jobID(t, tt.cancel), tt.reason)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("want %v, got %v", tt.wantErr, err)
				}
				if tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Fatalf("message %q, want %q", err.Error(), tt.wantMsg)
				}
				if len(p.Changes()) != before {
					t.Fatal("rejected cancel recorded an event")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Changes()[before:]; !reflect.DeepEqual(got, []domain.Event{
				domain.MaintenanceJobCancelled{JobID: jobID(t, tt.cancel), Reason: tt.reason}}) {
				t.Fatalf("recorded %#v", got)
			}
			j, _ := p.Job(jobID(t, tt.cancel))
			if reason, ok := j.CancellationReason(); j.Status() != domain.StatusCancelled || !ok || reason != tt.reason {
				t.Fatalf("cancelled job: status %v reason %q", j.Status(), reason)
			}
		})
	}
}

func TestCancelledJobFreesItsSlotAndCannotBeFinishedOrMoved(t *testing.T) {
	t.Parallel()
	p := prepare(t)
	// Full at 08:00-10:00; AA-1-A busy.
	if err := p.PlanMaintenanceJob(job(t, "d", "DD-1-D", "09:00", "09:30")); !errors.Is(err, domain.ErrTooManyConcurrentJobsRule) {
		t.Fatalf("before cancel: want the parallel-jobs rule, got %v", err)
	}
	if err := p.CancelMaintenanceJob(jobID(t, "a"), ""); err != nil {
		t.Fatal(err)
	}
	if err := p.PlanMaintenanceJob(job(t, "d", "DD-1-D", "09:00", "09:30")); err != nil {
		t.Fatalf("cancelled job still takes a workstation: %v", err)
	}
	if err := p.PlanMaintenanceJob(job(t, "e", "AA-1-A", "08:00", "08:30")); err != nil {
		t.Fatalf("cancelled job still books its vehicle: %v", err)
	}
	err := p.FinishMaintenanceJob(jobID(t, "a"), slot(t, "08:00", "09:00"), "")
	if !errors.Is(err, domain.ErrJobCancelledRule) || err.Error() != domain.MsgCancelledJobFinish {
		t.Fatalf("finish cancelled: %v", err)
	}
	if err := p.MoveMaintenanceJob(jobID(t, "a"), slot(t, "11:00", "12:00")); !errors.Is(err, domain.ErrJobCancelledRule) {
		t.Fatalf("move cancelled: %v", err)
	}
	// Its id stays taken, even for the identical job.
	if err := p.PlanMaintenanceJob(job(t, "a", "AA-1-A", "08:00", "10:00")); !errors.Is(err, domain.ErrDuplicateJobIDRule) {
		t.Fatalf("replan cancelled id: %v", err)
	}
	if n := len(p.Jobs()); n != 5 {
		t.Fatalf("cancelled job not kept: %d jobs", n)
	}
}

func TestMoveMaintenanceJobSameDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		move     string
		from, to string
		wantErr  error
		noChange bool
	}{
		{"to a free time", "a", "11:00", "12:00", nil, false},
		{"overlapping only its own old slot", "a", "09:00", "11:00", nil, false},
		{"to the slot it has is a no-op", "a", "08:00", "10:00", nil, true},
		{"a finished job", "done", "12:30", "13:30", domain.ErrJobAlreadyFinished, true},
		{"a cancelled job", "gone", "11:00", "12:00", domain.ErrJobCancelledRule, true},
		{"an unknown job", "nope", "11:00", "12:00", domain.ErrJobNotFound, true},
		{"off the planning's day", "a", "23:00", nextDay + " 01:00", domain.ErrOutsidePlanningDateRule, true},
		{"onto its vehicle's other job", "x", "14:30", "15:30", domain.ErrVehicleBusyRule, true},
		{"into a full time slot", "y", "08:30", "09:00", domain.ErrTooManyConcurrentJobsRule, true},
		{"onto a cancelled job's vehicle and time", "y", "14:00", "15:00", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := prepare(t, "done", "gone")
			if err := p.PlanMaintenanceJob(job(t, "x", "AA-1-A", "16:00", "17:00")); err != nil {
				t.Fatal(err)
			}
			if err := p.PlanMaintenanceJob(job(t, "y", "EE-1-E", "16:00", "17:00")); err != nil {
				t.Fatal(err)
			}
			if err := p.PlanMaintenanceJob(job(t, "z", "AA-1-A", "15:00", "16:00")); err != nil {
				t.Fatal(err)
			}
			// "x" (AA-1-A) may not overlap z at 15:00-16:00; 14:30-15:30 does.
			before := len(p.Changes())
			target := slot(t, tt.from, tt.to)
			err := p.MoveMaintenanceJob(jobID(t, tt.move), target)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("want %v, got %v", tt.wantErr, err)
			}
			if tt.noChange {
				if len(p.Changes()) != before {
					t.Fatal("recorded an event")
				}
				return
			}
			id := jobID(t, tt.move)
			d := p.Date()
			if got := p.Changes()[before:]; !reflect.DeepEqual(got, []domain.Event{
				domain.MaintenanceJobMoved{JobID: id, ToDate: d, ToJobID: id, Slot: target}}) {
				t.Fatalf("recorded %#v", got)
			}
			j, _ := p.Job(id)
			if !j.Slot().Equal(target) || j.Status() != domain.StatusPlanned {
				t.Fatalf("moved job %v %v", j.Slot(), j.Status())
			}
		})
	}
}

func TestMoveMaintenanceJobToAnotherDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		move     string
		from, to string
		existing []string // jobs on the other day: id/plate at 08:00-10:00
		wantErr  error
	}{
		{"to a free day", "a", "08:00", "10:00", nil, nil},
		{"the id is taken there", "a", "11:00", "12:00", []string{"a/ZZ-9-Z"}, domain.ErrDuplicateJobIDRule},
		{"the vehicle is busy there", "a", "09:00", "11:00", []string{"q/AA-1-A"}, domain.ErrVehicleBusyRule},
		{"the day is full there", "a", "09:00", "09:30", []string{"p/XX-1-X", "q/XX-2-X", "r/XX-3-X"}, domain.ErrTooManyConcurrentJobsRule},
		{"times not on the new day", "a", day + " 08:00", day + " 09:00", nil, domain.ErrOutsidePlanningDateRule},
		{"a finished job", "done", "08:00", "09:00", nil, domain.ErrJobAlreadyFinished},
		{"a cancelled job", "gone", "08:00", "09:00", nil, domain.ErrJobCancelledRule},
		{"an unknown job", "nope", "08:00", "09:00", nil, domain.ErrJobNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := prepare(t, "done", "gone")
			target := otherPlanning(t)
			for _, e := range tt.existing {
				id, plate, _ := strings.Cut(e, "/")
				jid := jobID(t, id)
				ln, _ := domain.NewLicenseNumber(plate)
				c, _ := domain.NewJobCustomer("c-2", "John", "06")
				v, _ := domain.NewJobVehicle(ln, "Volvo", "V70")
				j, err := domain.NewMaintenanceJob(jid, nextDaySlot(t, "08:00", "10:00"), "APK", c, v)
				if err != nil {
					t.Fatal(err)
				}
				if err := target.PlanMaintenanceJob(j); err != nil {
					t.Fatal(err)
				}
			}
			src, dst := len(p.Changes()), len(target.Changes())
			var to domain.Timeslot
			if strings.HasPrefix(tt.from, day) {
				to = slot(t, tt.from, tt.to)
			} else {
				to = nextDaySlot(t, tt.from, tt.to)
			}
			err := p.MoveMaintenanceJobTo(target, jobID(t, tt.move), to)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("want %v, got %v", tt.wantErr, err)
			}
			if tt.wantErr != nil {
				if len(p.Changes()) != src || len(target.Changes()) != dst {
					t.Fatal("rejected move recorded events")
				}
				return
			}
			id := jobID(t, tt.move)
			if got := p.Changes()[src:]; !reflect.DeepEqual(got, []domain.Event{
				domain.MaintenanceJobMoved{JobID: id, ToDate: target.Date(), ToJobID: id, Slot: to}}) {
				t.Fatalf("source recorded %#v", got)
			}
			old, _ := p.Job(id)
			newJob, ok := target.Job(id)
			if !ok || !newJob.Slot().Equal(to) || newJob.Status() != domain.StatusPlanned ||
				newJob.Customer() != old.Customer() || newJob.Vehicle() != old.Vehicle() || newJob.Description() != old.Description() {
				t.Fatalf("job on the new day: %+v", newJob)
			}
			if d, toID, ok := old.MovedTo(); old.Status() != domain.StatusMoved || !ok || d != target.Date() || toID != id {
				t.Fatalf("job on the old day: status %v moved to %v/%v", old.Status(), d, toID)
			}
			// The old day's slot is free now, the job cannot be changed there any more.
			if err := p.PlanMaintenanceJob(job(t, "n", "NN-1-N", "08:00", "10:00")); err != nil {
				t.Fatalf("moved-away job still takes a workstation: %v", err)
			}
			for name, err := range map[string]error{
				"finish": p.FinishMaintenanceJob(id, slot(t, "08:00", "09:00"), ""),
				"cancel": p.CancelMaintenanceJob(id, ""),
				"move":   p.MoveMaintenanceJob(id, slot(t, "11:00", "12:00")),
			} {
				if !errors.Is(err, domain.ErrJobMovedAwayRule) || !strings.Contains(err.Error(), nextDay) {
					t.Fatalf("%s a moved-away job: %v", name, err)
				}
			}
		})
	}
}

func TestReplayOfCancelAndMoveGivesSameState(t *testing.T) {
	t.Parallel()
	live := prepare(t, "done", "gone")
	other := otherPlanning(t)
	if err := live.MoveMaintenanceJob(jobID(t, "b"), slot(t, "10:00", "11:00")); err != nil {
		t.Fatal(err)
	}
	if err := live.MoveMaintenanceJobTo(other, jobID(t, "c"), nextDaySlot(t, "08:00", "09:00")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*domain.WorkshopPlanning{live, other} {
		replayed, err := domain.RehydratePlanning(p.Date(), p.Changes())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(replayed.Jobs(), p.Jobs()) {
			t.Fatalf("replayed %s differs:\n%+v\n%+v", p.Date(), replayed.Jobs(), p.Jobs())
		}
		if replayed.Version() != p.CurrentVersion() {
			t.Fatalf("version %d, current %d", replayed.Version(), p.CurrentVersion())
		}
	}
}
