// Package adapters implements the invoicing context's driven ports: the customers and
// jobs read model and the invoices on Postgres (InvoicePostgresRepository, with the
// invoice mail queued and InvoiceCreated added to the outbox in the same transaction),
// and the HTML rendering of an invoice (InvoiceHTMLRenderer).
package adapters

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationSet is the name of the invoicing context's own migration set.
const MigrationSet = "invoicing"

// Migrate creates or upgrades the invoicing tables (customers, jobs, invoices, invoice
// lines, number counters) in schema. The outbox, inbox and mail tables are migrated by
// their packages.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, MigrationSet, postgres.MigrationsDir(migrations))
}
