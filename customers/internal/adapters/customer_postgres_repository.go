// Package adapters implements the customers context's storage on Postgres: the
// customers table and, in the same transactions, the context's outbox.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"

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

// Get returns the customer with id and its version, or an error wrapping
// domain.ErrCustomerNotFound.
func (r *CustomerPostgresRepository) Get(ctx context.Context, id uuid.UUID) (application.VersionedCustomer, error) {
	c, err := scanVersioned(r.pool.QueryRow(ctx, `SELECT `+columns+`, version FROM customers WHERE customer_id = $1`, id))
	if err != nil {
		return application.VersionedCustomer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// Update locks the customer row (SELECT ... FOR UPDATE, so concurrent updates of one
// customer serialise: none is lost, and fn sees the version the last one committed),
// applies fn and stores the result, its version increased by one, and fn's events in
// one transaction.
func (r *CustomerPostgresRepository) Update(ctx context.Context, id uuid.UUID,
	fn func(c *domain.Customer, version int64) ([]events.Envelope, error)) (application.VersionedCustomer, error) {
	var updated application.VersionedCustomer
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		vc, err := scanVersioned(tx.QueryRow(ctx,
			`SELECT `+columns+`, version FROM customers WHERE customer_id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		c := vc.Customer
		evs, err := fn(&c, vc.Version)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			// Nothing changed: there is nothing to write, and the version stays.
			updated = vc
			return nil
		}
		// The version condition repeats what the lock guarantees (fn saw the stored
		// version), so that the guarantee does not hang on the lock alone.
		var version int64
		err = tx.QueryRow(ctx, `UPDATE customers SET name = $2, address = $3, postal_code = $4, city = $5,
				telephone_number = $6, email_address = $7, version = version + 1
				WHERE customer_id = $1 AND version = $8 RETURNING version`,
			c.ID(), c.Name(), c.Address(), c.PostalCode(), c.City(), c.TelephoneNumber(), c.EmailAddress(), vc.Version).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return application.ErrStaleCustomer
		}
		if err != nil {
			return err
		}
		if err := r.outbox.Add(ctx, tx, evs...); err != nil {
			return err
		}
		updated = application.VersionedCustomer{Customer: c, Version: version}
		return nil
	})
	if err != nil {
		return application.VersionedCustomer{}, fmt.Errorf("update customer %s: %w", id, err)
	}
	return updated, nil
}

// List returns at most q.Limit customers matching q.Filter that follow q.After in
// q.Order. The query is built by listQuery; the indexes of migration 00002 serve it.
func (r *CustomerPostgresRepository) List(ctx context.Context, q application.CustomerQuery) ([]application.ListedCustomer, error) {
	sql, args := listQuery(q)
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []application.ListedCustomer
	for rows.Next() {
		var (
			id  uuid.UUID
			d   domain.Details
			l   application.ListedCustomer
			key *string
		)
		if err := rows.Scan(&id, &d.Name, &d.Address, &d.PostalCode, &d.City, &d.TelephoneNumber, &d.EmailAddress,
			&l.Version, &l.Key.Position, &key); err != nil {
			return nil, fmt.Errorf("list customers: %w", err)
		}
		if key != nil {
			l.Key.Value = *key
		}
		l.Customer = domain.RehydrateCustomer(id, d)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return out, nil
}

// sortExpr is the expression each sort field orders by (position breaks ties).
func sortExpr(f application.SortField) string {
	switch f {
	case application.SortByName:
		return "lower(name)"
	case application.SortByCity:
		return "lower(city)"
	case application.SortByCustomerID:
		return "customer_id"
	default:
		return ""
	}
}

// likeEscaper escapes LIKE's wildcards (and its escape character, backslash, the
// default) so that a search string matches literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// listQuery builds the SQL of a page and its arguments. Values are always arguments,
// never spliced into the text; the text only varies with which filters are present
// and the order (one of a fixed set), so that each shape is a prepared statement
// whose plan Postgres picks with the values known.
//
//   - Q: name ILIKE '%q%' OR email_address ILIKE '%q%' (customers_search_trgm)
//   - CityPrefix: lower(city) LIKE lower('prefix') || '%' (customers_city_prefix)
//   - registration order: position (its unique index); name and city: (lower(x),
//     position) (customers_name_order, customers_city_order); customerId: the key.
func listQuery(q application.CustomerQuery) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Filter.Q != "" {
		p := arg("%" + likeEscaper.Replace(q.Filter.Q) + "%")
		where = append(where, "(name ILIKE "+p+" OR email_address ILIKE "+p+")")
	}
	if q.Filter.CityPrefix != "" {
		where = append(where, "lower(city) LIKE lower("+arg(likeEscaper.Replace(q.Filter.CityPrefix)+"%")+")")
	}
	cmp, dir := ">", ""
	if q.Order.Descending {
		cmp, dir = "<", " DESC"
	}
	expr := sortExpr(q.Order.Field)
	var orderBy string
	switch {
	case expr == "":
		if q.After.Position > 0 {
			where = append(where, "position "+cmp+" "+arg(q.After.Position))
		}
		orderBy = "position" + dir
		expr = "NULL::text"
	case q.Order.Field == application.SortByCustomerID:
		if q.After.Value != "" {
			where = append(where, "customer_id "+cmp+" "+arg(q.After.Value)+"::uuid")
		}
		orderBy = "customer_id" + dir
		expr = "customer_id::text"
	default:
		if q.After.Position > 0 {
			where = append(where, "("+expr+", position) "+cmp+" ("+arg(q.After.Value)+"::text, "+arg(q.After.Position)+"::bigint)")
		}
		orderBy = expr + dir + ", position" + dir
	}
	sql := `SELECT ` + columns + `, version, position, ` + expr + ` AS sort_key FROM customers`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY ` + orderBy + ` LIMIT ` + arg(q.Limit)
	return sql, args
}

// scanCustomer reads a row of columns followed by one bigint (the version or the
// position, as the query chose).
func scanCustomer(row pgx.Row) (domain.Customer, int64, error) {
	var (
		id uuid.UUID
		d  domain.Details
		n  int64
	)
	err := row.Scan(&id, &d.Name, &d.Address, &d.PostalCode, &d.City, &d.TelephoneNumber, &d.EmailAddress, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Customer{}, 0, domain.ErrCustomerNotFound
	}
	if err != nil {
		return domain.Customer{}, 0, err
	}
	return domain.RehydrateCustomer(id, d), n, nil
}

// scanVersioned reads a row of columns followed by the version.
func scanVersioned(row pgx.Row) (application.VersionedCustomer, error) {
	c, version, err := scanCustomer(row)
	return application.VersionedCustomer{Customer: c, Version: version}, err
}
