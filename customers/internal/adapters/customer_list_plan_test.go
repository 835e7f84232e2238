package adapters

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// planRows is how many customers the plan test lists: enough that Postgres prefers an
// index to a sequential scan wherever one serves the query.
const planRows = 20_000

// seedCustomers migrates a fresh database and fills it with n generated customers:
// random (md5) names, 5,000 cities, unique e-mail addresses.
func seedCustomers(t testing.TB, n int) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), "customers")
	if err := Migrate(ctx, pool, "customers"); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(ctx, pool, "customers"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO customers
		(customer_id, name, address, postal_code, city, telephone_number, email_address)
		SELECT gen_random_uuid(), 'Customer ' || md5(i::text), 'Street ' || i, '1234 AB',
			'City ' || (i % 5000), '0612345678', 'c' || i || '@example.com'
		FROM generate_series(1, $1::int) i`, n); err != nil {
		t.Fatal(err)
	}
	// VACUUM also moves the rows out of the GIN pending list (as autovacuum would),
	// which the planner otherwise counts as a sequential scan of its own.
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE customers`); err != nil {
		t.Fatal(err)
	}
	return pool
}

// TestListQueriesUseTheirIndexes EXPLAINs the very SQL List runs, with its values, on
// a table of planRows customers and requires the index each shape was made for (so
// that a change of the query text or of the migration that loses an index fails here,
// not in production at 100k rows).
func TestListQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := seedCustomers(t, planRows)
	// Where the server has pg_trgm, the migration must have made the trigram index;
	// only a server without it may go without.
	var available, trgm bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'customers_search_trgm')`).Scan(&available, &trgm); err != nil {
		t.Fatal(err)
	}
	if available && !trgm {
		t.Error("pg_trgm is available but the migration made no customers_search_trgm index")
	}
	if !available {
		t.Log("pg_trgm is not available on this server: the q search runs without its index")
	}
	name := application.CustomerOrder{Field: application.SortByName}
	tests := []struct {
		name  string
		q     application.CustomerQuery
		index []string // any of these
		skip  bool
	}{
		{"q", application.CustomerQuery{Filter: application.CustomerFilter{Q: "4a7d1ed4"}, Limit: 51},
			[]string{"customers_search_trgm"}, !trgm},
		{"q on the e-mail address", application.CustomerQuery{Filter: application.CustomerFilter{Q: "c12345@"}, Limit: 51},
			[]string{"customers_search_trgm"}, !trgm},
		{"city prefix", application.CustomerQuery{Filter: application.CustomerFilter{CityPrefix: "city 1234"}, Limit: 51},
			[]string{"customers_city_prefix", "customers_city_order"}, false},
		{"sort by name", application.CustomerQuery{Order: name, Limit: 51},
			[]string{"customers_name_order"}, false},
		{"sort by name, a later page", application.CustomerQuery{Order: name,
			After: application.ListKey{Position: 5000, Value: "customer 8"}, Limit: 51},
			[]string{"customers_name_order"}, false},
		{"sort by name descending, a later page", application.CustomerQuery{
			Order: application.CustomerOrder{Field: application.SortByName, Descending: true},
			After: application.ListKey{Position: 5000, Value: "customer 8"}, Limit: 51},
			[]string{"customers_name_order"}, false},
		{"sort by city descending", application.CustomerQuery{
			Order: application.CustomerOrder{Field: application.SortByCity, Descending: true},
			After: application.ListKey{Position: 5000, Value: "city 42"}, Limit: 51},
			[]string{"customers_city_order"}, false},
		{"sort by customer id", application.CustomerQuery{
			Order: application.CustomerOrder{Field: application.SortByCustomerID},
			After: application.ListKey{Position: 1, Value: "80000000-0000-0000-0000-000000000000"}, Limit: 51},
			[]string{"customers_pkey"}, false},
		{"registration order, a later page", application.CustomerQuery{
			Order: application.CustomerOrder{Field: application.SortByRegistration},
			After: application.ListKey{Position: 10_000}, Limit: 51},
			[]string{"customers_position_key"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("no trigram index")
			}
			sql, args := listQuery(tt.q)
			plan := explain(t, pool, sql, args)
			found := false
			for _, ix := range tt.index {
				found = found || strings.Contains(plan, ix)
			}
			if !found {
				t.Errorf("plan of %s uses none of %v:\n%s", sql, tt.index, plan)
			}
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("plan of %s scans the table:\n%s", sql, plan)
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

// BenchmarkList lists the first page of each shape on 100,000 customers (the size
// issue 13 asks to stay fast at): go test ./customers/internal/adapters -run - -bench List
func BenchmarkList(b *testing.B) {
	pool := seedCustomers(b, 100_000)
	r := &CustomerPostgresRepository{pool: pool}
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		q    application.CustomerQuery
	}{
		{"registration", application.CustomerQuery{Limit: 51}},
		{"q", application.CustomerQuery{Filter: application.CustomerFilter{Q: "4a7d1ed4"}, Limit: 51}},
		{"q-short", application.CustomerQuery{Filter: application.CustomerFilter{Q: "ab"}, Limit: 51}},
		{"city", application.CustomerQuery{Filter: application.CustomerFilter{CityPrefix: "city 12"}, Limit: 51}},
		{"name", application.CustomerQuery{Order: application.CustomerOrder{Field: application.SortByName}, Limit: 51}},
		{"-city+q", application.CustomerQuery{Order: application.CustomerOrder{Field: application.SortByCity, Descending: true},
			Filter: application.CustomerFilter{Q: "customer 1"}, Limit: 51}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.List(ctx, bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
