// Package adapters implements the notifications context's driven ports on Postgres:
// the customers and jobs read model and the reminders, written inside the consumer's
// transaction together with the reminder mails (shared-go/mail) and the outbox
// (shared-go/outbox); and the reminders' read side for the API.
package adapters

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationSet is the name of the notifications context's own migration set
// (goose_notifications table).
const MigrationSet = "notifications"

// Migrate creates or upgrades the context's own tables (customers, jobs, reminders,
// business_days) in schema. The outbox, inbox and mail tables are migrated by their
// packages.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, MigrationSet, postgres.MigrationsDir(migrations))
}
