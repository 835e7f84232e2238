package application_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pitstop/pitstop/workshop/internal/adapters"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

var zone = time.FixedZone("", 2*60*60)

func cmd(t *testing.T, id, plate string, fromH, toH int) application.PlanMaintenanceJob {
	t.Helper()
	date, _ := domain.ParsePlanningDate("2024-05-01")
	slot, err := domain.NewTimeslot(time.Date(2024, 5, 1, fromH, 0, 0, 0, zone), time.Date(2024, 5, 1, toH, 0, 0, 0, zone))
	if err != nil {
		t.Fatal(err)
	}
	var jid domain.JobID
	if id != "" {
		if jid, err = domain.NewJobID(id); err != nil {
			t.Fatal(err)
		}
	}
	ln, _ := domain.NewLicenseNumber(plate)
	c, _ := domain.NewJobCustomer("c1", "Jane", "06")
	v, _ := domain.NewJobVehicle(ln, "VW", "Golf")
	return application.PlanMaintenanceJob{Date: date, JobID: jid, Slot: slot, Description: "APK", Customer: c, Vehicle: v}
}

// racingRepo wraps a store and, before each of the first `races` saves, lets a
// competing writer plan another job, so that the save conflicts.
type racingRepo struct {
	*adapters.PlanningMemoryRepository
	races   int32
	saves   atomic.Int32
	compete func() error
}

func (r *racingRepo) Save(ctx context.Context, p *domain.WorkshopPlanning) error {
	if n := r.saves.Add(1); n <= r.races {
		if err := r.compete(); err != nil {
			return err
		}
	}
	return r.PlanningMemoryRepository.Save(ctx, p)
}

func TestPlanRetriesFromAFreshLoadOnConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := adapters.NewPlanningMemoryRepository()
	other := application.NewPlanMaintenanceJobHandler(mem, application.RetryPolicy{Attempts: 1})
	competitors := []application.PlanMaintenanceJob{cmd(t, "x1", "XX-1-X", 8, 10), cmd(t, "x2", "XX-2-X", 8, 10)}
	repo := &racingRepo{PlanningMemoryRepository: mem, races: 2}
	repo.compete = func() error {
		_, err := other.Handle(ctx, competitors[repo.saves.Load()-1])
		return err
	}
	h := application.NewPlanMaintenanceJobHandler(repo, application.RetryPolicy{Attempts: 3, BaseDelay: time.Microsecond})
	res, err := h.Handle(ctx, cmd(t, "mine", "AB-1-C", 9, 11))
	if err != nil {
		t.Fatalf("third attempt should succeed: %v", err)
	}
	if !res.Created || repo.saves.Load() != 3 {
		t.Fatalf("created %v after %d saves", res.Created, repo.saves.Load())
	}
	p, _ := mem.Load(ctx, res.Planning.Date())
	if len(p.Jobs()) != 3 {
		t.Fatalf("want both competitors and mine, got %d jobs (lost update?)", len(p.Jobs()))
	}
}

func TestPlanRechecksRulesAfterConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := adapters.NewPlanningMemoryRepository()
	other := application.NewPlanMaintenanceJobHandler(mem, application.RetryPolicy{})
	// The competitor books the same vehicle at the same time while we were deciding.
	repo := &racingRepo{PlanningMemoryRepository: mem, races: 1}
	repo.compete = func() error { _, err := other.Handle(ctx, cmd(t, "theirs", "AB-1-C", 9, 10)); return err }
	h := application.NewPlanMaintenanceJobHandler(repo, application.RetryPolicy{BaseDelay: time.Microsecond})
	_, err := h.Handle(ctx, cmd(t, "mine", "AB-1-C", 9, 11))
	if !errors.Is(err, domain.ErrVehicleBusyRule) {
		t.Fatalf("want the vehicle rule on the fresh state, got %v", err)
	}
}

// alwaysConflicting is a store on which every save loses a race.
type alwaysConflicting struct {
	*adapters.PlanningMemoryRepository
	loads, saves atomic.Int32
}

func (r *alwaysConflicting) Load(ctx context.Context, d domain.PlanningDate) (*domain.WorkshopPlanning, error) {
	r.loads.Add(1)
	return r.PlanningMemoryRepository.Load(ctx, d)
}

func (r *alwaysConflicting) Save(context.Context, *domain.WorkshopPlanning) error {
	r.saves.Add(1)
	return domain.ErrConcurrencyConflict
}

func TestPlanGivesUpAfterBoundedAttempts(t *testing.T) {
	t.Parallel()
	repo := &alwaysConflicting{PlanningMemoryRepository: adapters.NewPlanningMemoryRepository()}
	h := application.NewPlanMaintenanceJobHandler(repo, application.RetryPolicy{Attempts: 4, BaseDelay: time.Microsecond})
	_, err := h.Handle(context.Background(), cmd(t, "mine", "AB-1-C", 9, 11))
	if !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	if repo.saves.Load() != 4 || repo.loads.Load() != 4 {
		t.Fatalf("want 4 loads and saves, got %d and %d", repo.loads.Load(), repo.saves.Load())
	}
}

func TestPlanIdempotentWithClientJobID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := adapters.NewPlanningMemoryRepository()
	h := application.NewPlanMaintenanceJobHandler(mem, application.RetryPolicy{})
	first, err := h.Handle(ctx, cmd(t, "job-1", "AB-1-C", 9, 11))
	if err != nil || !first.Created {
		t.Fatalf("first: %v created=%v", err, first.Created)
	}
	again, err := h.Handle(ctx, cmd(t, "job-1", "AB-1-C", 9, 11))
	if err != nil || again.Created {
		t.Fatalf("same again: %v created=%v", err, again.Created)
	}
	p, _ := mem.Load(ctx, first.Planning.Date())
	if p.Version() != 2 {
		t.Fatalf("stream has %d events, want 2", p.Version())
	}
	if _, err := h.Handle(ctx, cmd(t, "job-1", "AB-1-C", 12, 13)); !errors.Is(err, domain.ErrDuplicateJobIDRule) {
		t.Fatalf("different job, same id: %v", err)
	}
	gen, err := h.Handle(ctx, cmd(t, "", "AB-2-C", 9, 11))
	if err != nil || gen.JobID.String() == "" {
		t.Fatalf("generated id: %v %q", err, gen.JobID)
	}
}
