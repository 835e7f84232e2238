package adapters

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// TestHistoryBackfilledFromExistingEvents stores events the way the version before
// job_history did (events table only), then migrates: the history must show them.
func TestHistoryBackfilledFromExistingEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), "workshop")
	// The migrations before 00003.
	old := fstest.MapFS{}
	dir := postgres.MigrationsDir(migrations)
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "00001") || strings.HasPrefix(e.Name(), "00002") {
			data, err := fs.ReadFile(dir, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			old[e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	if err := postgres.Migrate(ctx, pool, "workshop", MigrationSet, old); err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", 2*60*60)
	date, _ := domain.ParsePlanningDate("2024-05-01")
	p, _ := domain.NewWorkshopPlanning(date)
	for i, plate := range []string{"ab-1-c", "XY-2-Z"} {
		id, _ := domain.NewJobID([]string{"j1", "j2"}[i])
		slot, _ := domain.NewTimeslot(time.Date(2024, 5, 1, 8+i, 0, 0, 0, zone), time.Date(2024, 5, 1, 9+i, 0, 0, 0, zone))
		ln, _ := domain.NewLicenseNumber(plate)
		c, _ := domain.NewJobCustomer("c1", "Jane", "06")
		v, _ := domain.NewJobVehicle(ln, "VW", "Golf")
		j, err := domain.NewMaintenanceJob(id, slot, "APK", c, v)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.PlanMaintenanceJob(j); err != nil {
			t.Fatal(err)
		}
	}
	j1, _ := domain.NewJobID("j1")
	actual, _ := domain.NewTimeslot(time.Date(2024, 5, 1, 8, 5, 0, 0, zone), time.Date(2024, 5, 1, 9, 15, 0, 0, zone))
	if err := p.FinishMaintenanceJob(j1, actual, "brakes"); err != nil {
		t.Fatal(err)
	}
	envs, err := envelopes(date, p.Changes(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range envs {
		if _, err := pool.Exec(ctx, `INSERT INTO events (stream_id, version, event_id, event_type, data, occurred_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, date.String(), i+1, env.ID, env.Type, []byte(env.Data), env.Time); err != nil {
			t.Fatal(err)
		}
	}

	if err := Migrate(ctx, pool, "workshop"); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(ctx, pool, "workshop"); err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, status, start, license, actualStart string
		notes                                   *string
	}
	var got []row
	rows, err := pool.Query(ctx, `SELECT job_id, status, start_time, license_number, coalesce(actual_start_time, ''), notes
		FROM job_history ORDER BY job_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.status, &r.start, &r.license, &r.actualStart, &r.notes); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(got) != 2 || got[0].status != "Completed" || got[0].actualStart != "2024-05-01T08:05:00+02:00" ||
		got[0].notes == nil || *got[0].notes != "brakes" || got[0].license != "AB-1-C" || got[0].start != "2024-05-01T08:00:00+02:00" ||
		got[1].status != "Planned" || got[1].notes != nil || got[1].license != "XY-2-Z" {
		t.Fatalf("backfilled history %+v", got)
	}

	// From here on the repository keeps it: cancelling j2 shows in the history.
	store := NewPlanningPostgresRepository(pool, "workshop", nil)
	loaded, err := store.Load(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	j2, _ := domain.NewJobID("j2")
	if err := loaded.CancelMaintenanceJob(j2, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := pool.QueryRow(ctx, `SELECT status FROM job_history WHERE job_id = 'j2'`).Scan(&status); err != nil || status != "Cancelled" {
		t.Fatalf("status after cancel %q %v", status, err)
	}
}
