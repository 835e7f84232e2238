package adapters_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/workshop/internal/adapters"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

const schema = "workshop"

func setupStore(t testing.TB) (*pgxpool.Pool, *adapters.PlanningPostgresRepository) {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	if err := adapters.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	return pool, adapters.NewPlanningPostgresRepository(pool, schema, nil)
}

var zone = time.FixedZone("", 2*60*60)

func mustDate(t testing.TB, s string) domain.PlanningDate {
	t.Helper()
	d, err := domain.ParsePlanningDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newJob builds a job on date starting at minute offset from midnight (+02:00).
func newJob(t testing.TB, date domain.PlanningDate, id, plate string, fromMin, toMin int) domain.MaintenanceJob {
	t.Helper()
	day, _ := time.ParseInLocation(domain.DateLayout, date.String(), zone)
	slot, err := domain.NewTimeslot(day.Add(time.Duration(fromMin)*time.Minute), day.Add(time.Duration(toMin)*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	jid, err := domain.NewJobID(id)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := domain.NewLicenseNumber(plate)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := domain.NewJobCustomer("c-"+id, "Customer "+id, "0612345678")
	v, _ := domain.NewJobVehicle(ln, "Volvo", "V70")
	j, err := domain.NewMaintenanceJob(jid, slot, "Service "+id, c, v)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func count(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSaveAndLoadRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := setupStore(t)
	date := mustDate(t, "2024-05-01")

	if _, err := store.Load(ctx, date); !errors.Is(err, domain.ErrPlanningNotFound) {
		t.Fatalf("empty stream: want ErrPlanningNotFound, got %v", err)
	}
	p, _ := domain.NewWorkshopPlanning(date)
	for i := range 3 {
		if err := p.PlanMaintenanceJob(newJob(t, date, fmt.Sprint("j", i), fmt.Sprintf("AB-%d-C", i), 480+i*30, 540+i*30)); err != nil {
			t.Fatal(err)
		}
	}
	actual, _ := domain.NewTimeslot(p.Jobs()[0].Slot().Start(), p.Jobs()[0].Slot().End().Add(7*time.Minute))
	if err := p.FinishMaintenanceJob(p.Jobs()[0].ID(), actual, "new brakes"); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	loaded, err := store.Load(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Version() != 5 || len(loaded.Changes()) != 0 {
		t.Fatalf("loaded version %d changes %d", loaded.Version(), len(loaded.Changes()))
	}
	// Times come back with their offset, as FixedZones; compare by rendering.
	if got, want := render(loaded), render(p); got != want {
		t.Fatalf("loaded planning differs:\n got %s\nwant %s", got, want)
	}

	// The events and the outbox hold the same events, with the same ids, in order.
	rows, err := pool.Query(ctx, `SELECT e.event_id::text, e.event_type, o.event_type, o.subject, o.source, o.payload, e.data::text
		FROM events e LEFT JOIN outbox o USING (event_id) WHERE e.stream_id = $1 ORDER BY e.version`, date.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var types []string
	for rows.Next() {
		var id, etype string
		var otype, subject, source *string
		var payload []byte
		var data string
		if err := rows.Scan(&id, &etype, &otype, &subject, &source, &payload, &data); err != nil {
			t.Fatal(err)
		}
		if otype == nil {
			t.Fatalf("event %s has no outbox row with the same id", id)
		}
		if *otype != etype || *subject != date.String() || *source != workshopevents.Source {
			t.Fatalf("outbox row %s: type %s subject %s source %s", id, *otype, *subject, *source)
		}
		var a, b any
		if err := json.Unmarshal(payload, &a); err != nil {
			t.Fatalf("outbox payload %s: %v", payload, err)
		}
		if err := json.Unmarshal([]byte(data), &b); err != nil {
			t.Fatalf("stored event %s: %v", data, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("outbox payload %s differs from stored event %s", payload, data)
		}
		types = append(types, etype)
	}
	want := []string{workshopevents.SubjectWorkshopPlanningCreated, workshopevents.SubjectMaintenanceJobPlanned,
		workshopevents.SubjectMaintenanceJobPlanned, workshopevents.SubjectMaintenanceJobPlanned, workshopevents.SubjectMaintenanceJobFinished}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("stored types %v", types)
	}
	if n := count(t, pool, `SELECT count(*) FROM outbox`); n != 5 {
		t.Fatalf("outbox rows %d", n)
	}
}

func render(p *domain.WorkshopPlanning) string {
	s := p.Date().String()
	for _, j := range p.Jobs() {
		a, _ := j.ActualSlot()
		s += fmt.Sprintf("|%s %s-%s %q %s/%s/%s %s/%s/%s %s %s-%s %q", j.ID(), j.Slot().Start().Format(time.RFC3339Nano),
			j.Slot().End().Format(time.RFC3339Nano), j.Description(), j.Customer().ID(), j.Customer().Name(),
			j.Customer().TelephoneNumber(), j.Vehicle().LicenseNumber(), j.Vehicle().Brand(), j.Vehicle().Type(), j.Status(),
			a.Start().Format(time.RFC3339Nano), a.End().Format(time.RFC3339Nano), j.Notes())
	}
	return s
}

func TestConcurrentSaveConflictsAndStoresNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := setupStore(t)
	date := mustDate(t, "2024-05-02")
	p, _ := domain.NewWorkshopPlanning(date)
	if err := store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, err := store.Load(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Load(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PlanMaintenanceJob(newJob(t, date, "a", "AA-1-A", 480, 540)); err != nil {
		t.Fatal(err)
	}
	if err := b.PlanMaintenanceJob(newJob(t, date, "b", "BB-1-B", 480, 540)); err != nil {
		t.Fatal(err)
	}
	if err := a.FinishMaintenanceJob(a.Jobs()[0].ID(), a.Jobs()[0].Slot(), ""); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	err = store.Save(ctx, b)
	if !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("second writer: want ErrConcurrencyConflict, got %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM events`); n != 3 {
		t.Fatalf("events %d, want 3 (the loser stored nothing)", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM outbox`); n != 3 {
		t.Fatalf("outbox rows %d, want 3", n)
	}
	// A new planning for an existing date conflicts too (expected version 0).
	fresh, _ := domain.NewWorkshopPlanning(date)
	if err := store.Save(ctx, fresh); !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("recreate: want conflict, got %v", err)
	}
}

func TestMemoryRepositoryConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := adapters.NewPlanningMemoryRepository()
	date := mustDate(t, "2024-05-03")
	p, _ := domain.NewWorkshopPlanning(date)
	if err := store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, _ := store.Load(ctx, date)
	b, _ := store.Load(ctx, date)
	if err := a.PlanMaintenanceJob(newJob(t, date, "a", "AA-1-A", 480, 540)); err != nil {
		t.Fatal(err)
	}
	if err := b.PlanMaintenanceJob(newJob(t, date, "b", "BB-1-B", 480, 540)); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, b); !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	got, _ := store.Load(ctx, date)
	if len(got.Jobs()) != 1 || got.Jobs()[0].ID().String() != "a" {
		t.Fatalf("jobs %v", got.Jobs())
	}
}

// TestSaveAllStoresBothOrNeither: a stale second planning makes SaveAll store nothing of
// the first either (events, outbox and history).
func TestSaveAllStoresBothOrNeither(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := setupStore(t)
	d1, d2 := mustDate(t, "2024-05-01"), mustDate(t, "2024-05-02")
	p1, _ := domain.NewWorkshopPlanning(d1)
	if err := p1.PlanMaintenanceJob(newJob(t, d1, "a", "AA-1-A", 480, 540)); err != nil {
		t.Fatal(err)
	}
	p2, _ := domain.NewWorkshopPlanning(d2)
	if err := store.SaveAll(ctx, p1, p2); err != nil {
		t.Fatal(err)
	}
	src, _ := store.Load(ctx, d1)
	stale, _ := store.Load(ctx, d2)
	// Someone else plans on d2 meanwhile.
	other, _ := store.Load(ctx, d2)
	if err := other.PlanMaintenanceJob(newJob(t, d2, "o", "OO-1-O", 480, 540)); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, other); err != nil {
		t.Fatal(err)
	}
	before := [3]int{count(t, pool, `SELECT count(*) FROM events`), count(t, pool, `SELECT count(*) FROM outbox`),
		count(t, pool, `SELECT count(*) FROM job_history WHERE status = 'Moved'`)}
	if err := src.MoveMaintenanceJobTo(stale, src.Jobs()[0].ID(), newJob(t, d2, "a", "AA-1-A", 600, 660).Slot()); err != nil {
		t.Fatal(err)
	}
	// Listed in either order, the plannings are written in date order.
	if err := store.SaveAll(ctx, stale, src); !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	after := [3]int{count(t, pool, `SELECT count(*) FROM events`), count(t, pool, `SELECT count(*) FROM outbox`),
		count(t, pool, `SELECT count(*) FROM job_history WHERE status = 'Moved'`)}
	if after != before {
		t.Fatalf("a conflicting SaveAll stored something: %v -> %v", before, after)
	}
}
