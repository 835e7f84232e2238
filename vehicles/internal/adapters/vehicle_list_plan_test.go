package adapters

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/vehicles/internal/application"
)

// TestListQueriesUseTheirIndexes EXPLAINs the very SQL List runs, with its values, on
// 20,000 generated vehicles (300 brands, random types, 2,000 owners) and requires the
// index each shape was made for and no sequential scan, so that a change of the query
// text or of a migration that loses an index fails here, not in production at 100k
// rows.
func TestListQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), "vehicles")
	if err := Migrate(ctx, pool, "vehicles"); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(ctx, pool, "vehicles"); err != nil {
		t.Fatal(err)
	}
	owner := uuid.MustParse("00000000-0000-4000-8000-000000000007")
	if _, err := pool.Exec(ctx, `INSERT INTO vehicles (license_number, brand, type, owner_id)
		SELECT chr(65 + i % 26) || chr(65 + (i / 26) % 26) || '-' || (i / 1000) || '-' || (i % 1000),
			'Brand ' || (i % 300), 'Type ' || md5(i::text),
			('00000000-0000-4000-8000-' || lpad((i % 2000)::text, 12, '0'))::uuid
		FROM generate_series(1, 20000) i`); err != nil {
		t.Fatal(err)
	}
	// VACUUM also moves the rows out of the GIN pending list (as autovacuum would),
	// which the planner otherwise counts as a sequential scan of its own.
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE vehicles`); err != nil {
		t.Fatal(err)
	}
	var available, trgm bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'vehicles_search_trgm')`).Scan(&available, &trgm); err != nil {
		t.Fatal(err)
	}
	if available && !trgm {
		t.Error("pg_trgm is available but the migration made no vehicles_search_trgm index")
	}
	brand := application.VehicleOrder{Field: application.SortByBrand}
	tests := []struct {
		name  string
		q     application.VehicleQuery
		index string
		skip  bool
	}{
		{"q on the type", application.VehicleQuery{Filter: application.VehicleFilter{Q: "4A7D1ED4"}, Limit: 51},
			"vehicles_search_trgm", !trgm},
		{"q on the licence number", application.VehicleQuery{Filter: application.VehicleFilter{Q: "QX-1-290"}, Limit: 51},
			"vehicles_search_trgm", !trgm},
		{"owner", application.VehicleQuery{Filter: application.VehicleFilter{OwnerID: owner},
			After: application.ListKey{Position: 100}, Limit: 51}, "vehicles_owner_position", false},
		{"sort by brand, a later page", application.VehicleQuery{Order: brand,
			After: application.ListKey{Position: 5000, Value: "brand 42"}, Limit: 51}, "vehicles_brand_order", false},
		{"sort by brand descending", application.VehicleQuery{
			Order: application.VehicleOrder{Field: application.SortByBrand, Descending: true}, Limit: 51},
			"vehicles_brand_order", false},
		{"sort by licence number descending, a later page", application.VehicleQuery{
			Order: application.VehicleOrder{Field: application.SortByLicenseNumber, Descending: true},
			After: application.ListKey{Position: 1, Value: "MM-5-5"}, Limit: 51}, "vehicles_pkey", false},
		{"registration order, a later page", application.VehicleQuery{
			After: application.ListKey{Position: 10_000}, Limit: 51}, "vehicles_position_key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("no trigram index on this server")
			}
			sql, args := listQuery(tt.q)
			plan := explain(t, pool, sql, args)
			if !strings.Contains(plan, tt.index) || strings.Contains(plan, "Seq Scan") {
				t.Errorf("plan of %s does not use %s (or scans the table):\n%s", sql, tt.index, plan)
			}
		})
	}
}

func explain(t testing.TB, pool *pgxpool.Pool, sql string, args []any) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `EXPLAIN `+sql, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", sql, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
