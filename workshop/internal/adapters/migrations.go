// Package adapters implements the workshop's driven ports on Postgres: the event store
// with its outbox (PlanningPostgresRepository), the reference-data read model
// (RefDataPostgresRepository), and an in-memory event store for tests.
package adapters

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationSet is the name of the workshop's own migration set (goose_workshop table).
const MigrationSet = "workshop"

// Migrate creates or upgrades the workshop's own tables (events, customers, vehicles)
// in schema. The outbox and inbox tables are migrated by their packages.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, MigrationSet, postgres.MigrationsDir(migrations))
}
