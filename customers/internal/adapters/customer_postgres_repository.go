// Package adapters implements the customers context's storage on Postgres: the
// customers table and, in the same transactions, the context's outbox.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the customers tables in the pool's schema (the outbox
// tables are migrated separately by outbox.Migrate).
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "customers", postgres.MigrationsDir(migrations))
}

// CustomerPostgresRepository stores customers in Postgres and writes their events to
// the outbox in the same transaction. It is safe for concurrent use.
type CustomerPostgresRepository struct {
	pool   *pgxpool.Pool
	outbox *outbox.Writer
}

var _ application.Repository = (*CustomerPostgresRepository)(nil)

// NewCustomerPostgresRepository returns a repository on pool, whose search_path must be
// schema (as pools from postgres.Connect are).
func NewCustomerPostgresRepository(pool *pgxpool.Pool, schema string) *CustomerPostgresRepository {
	return &CustomerPostgresRepository{pool: pool, outbox: outbox.NewWriter(schema)}
}

const columns = `customer_id, name, address, postal_code, city, telephone_number, email_address`

// Add inserts c and its events in one transaction. A taken id (including one taken by
// a concurrent, not yet committed registration, which the insert waits for) yields an
// error wrapping domain.ErrCustomerExists, and nothing is stored.
func (r *CustomerPostgresRepository) Add(ctx context.Context, c domain.Customer, evs ...events.Envelope) error {
	// One round trip: the insert and the outbox rows in one batch, which Postgres runs
	// as one implicit transaction (all or nothing).
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO customers (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID(), c.Name(), c.Address(), c.PostalCode(), c.City(), c.TelephoneNumber(), c.EmailAddress())
	r.outbox.Queue(ctx, b, evs...)
	err := r.pool.SendBatch(ctx, b).Close()
	if postgres.IsUniqueViolation(err) {
		return fmt.Errorf("add customer %s: %w", c.ID(), domain.ErrCustomerExists)
	}
	if err != nil {
		return fmt.Errorf("add customer %s: %w", c.ID(), err)
	}
	return nil
}

// Get returns the customer with id or an error wrapping domain.ErrCustomerNotFound.
func (r *CustomerPostgresRepository) Get(ctx context.Context, id uuid.UUID) (domain.Customer, error) {
	c, _, err := scanCustomer(r.pool.QueryRow(ctx, `SELECT `+columns+`, position FROM customers WHERE customer_id = $1`, id))
	if err != nil {
		return domain.Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// Update locks the customer row (SELECT ... FOR UPDATE, so concurrent updates of one
// customer serialise and none is lost), applies fn and stores the result and fn's
// events in one transaction.
func (r *CustomerPostgresRepository) Update(ctx context.Context, id uuid.UUID,
	fn func(c *domain.Customer) ([]events.Envelope, error)) (domain.Customer, error) {
	var updated domain.Customer
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		c, _, err := scanCustomer(tx.QueryRow(ctx,
			`SELECT `+columns+`, position FROM customers WHERE customer_id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		evs, err := fn(&c)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			// Nothing changed: there is nothing to write.
			updated = c
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET name = $2, address = $3, postal_code = $4, city = $5,
				telephone_number = $6, email_address = $7 WHERE customer_id = $1`,
			c.ID(), c.Name(), c.Address(), c.PostalCode(), c.City(), c.TelephoneNumber(), c.EmailAddress()); err != nil {
			return err
		}
		if err := r.outbox.Add(ctx, tx, evs...); err != nil {
			return err
		}
		updated = c
		return nil
	})
	if err != nil {
		return domain.Customer{}, fmt.Errorf("update customer %s: %w", id, err)
	}
	return updated, nil
}

// ListAfter returns at most n customers with a position greater than after, in
// position (registration) order.
func (r *CustomerPostgresRepository) ListAfter(ctx context.Context, after int64, n int) ([]application.ListedCustomer, error) {
	rows, err := r.pool.Query(ctx,
		`SELECT `+columns+`, position FROM customers WHERE position > $1 ORDER BY position LIMIT $2`, after, n)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []application.ListedCustomer
	for rows.Next() {
		c, pos, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("list customers: %w", err)
		}
		out = append(out, application.ListedCustomer{Customer: c, Position: pos})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return out, nil
}

func scanCustomer(row pgx.Row) (domain.Customer, int64, error) {
	var (
		id  uuid.UUID
		d   domain.Details
		pos int64
	)
	err := row.Scan(&id, &d.Name, &d.Address, &d.PostalCode, &d.City, &d.TelephoneNumber, &d.EmailAddress, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Customer{}, 0, domain.ErrCustomerNotFound
	}
	if err != nil {
		return domain.Customer{}, 0, err
	}
	return domain.RehydrateCustomer(id, d), pos, nil
}
