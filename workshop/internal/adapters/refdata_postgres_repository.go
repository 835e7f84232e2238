package adapters

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/workshop/internal/application"
)

// RefDataPostgresRepository reads the customers and vehicles read model. It is safe for
// concurrent use.
type RefDataPostgresRepository struct {
	pool *pgxpool.Pool
}

// NewRefDataPostgresRepository returns the read side of the reference data in the
// pool's schema.
func NewRefDataPostgresRepository(pool *pgxpool.Pool) *RefDataPostgresRepository {
	return &RefDataPostgresRepository{pool: pool}
}

const (
	customerColumns = `customer_id, name, address, postal_code, city, telephone_number, email_address`
	vehicleColumns  = `license_number, brand, type, owner_id`
)

func scanCustomer(row pgx.CollectableRow) (application.Customer, error) {
	var c application.Customer
	err := row.Scan(&c.CustomerID, &c.Name, &c.Address, &c.PostalCode, &c.City, &c.TelephoneNumber, &c.EmailAddress)
	return c, err
}

func scanVehicle(row pgx.CollectableRow) (application.Vehicle, error) {
	var v application.Vehicle
	err := row.Scan(&v.LicenseNumber, &v.Brand, &v.Type, &v.OwnerID)
	return v, err
}

// Customers returns up to limit customers with customer_id > after, by customer_id.
func (r *RefDataPostgresRepository) Customers(ctx context.Context, after string, limit int) ([]application.Customer, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE customer_id > $1 ORDER BY customer_id LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanCustomer)
}

// Customer returns the customer with id or application.ErrCustomerNotFound.
func (r *RefDataPostgresRepository) Customer(ctx context.Context, id string) (application.Customer, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+customerColumns+` FROM customers WHERE customer_id = $1`, id)
	if err != nil {
		return application.Customer{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	if errors.Is(err, pgx.ErrNoRows) {
		return application.Customer{}, application.ErrCustomerNotFound
	}
	return c, err
}

// SearchCustomers returns up to limit customers whose name contains q (ILIKE, with q's
// wildcards escaped), ordered by lower(name) then customer_id (byte order), after the
// key after, with their keys.
func (r *RefDataPostgresRepository) SearchCustomers(ctx context.Context, q string, after application.CustomerNameKey, limit int) ([]application.Customer, application.CustomerKeys, error) {
	sql := `SELECT ` + customerColumns + `, lower(name) FROM customers WHERE name ILIKE $1`
	args := []any{likePattern(q)}
	if after.ID != "" {
		sql += ` AND (lower(name) COLLATE "C", customer_id) > ($2 COLLATE "C", $3)`
		args = append(args, after.Name, after.ID)
	}
	sql += fmt.Sprintf(` ORDER BY lower(name) COLLATE "C", customer_id LIMIT %d`, limit)
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		out  []application.Customer
		keys application.CustomerKeys
	)
	for rows.Next() {
		var c application.Customer
		var lower string
		if err := rows.Scan(&c.CustomerID, &c.Name, &c.Address, &c.PostalCode, &c.City, &c.TelephoneNumber, &c.EmailAddress, &lower); err != nil {
			return nil, nil, err
		}
		out = append(out, c)
		keys = append(keys, application.CustomerNameKey{Name: lower, ID: c.CustomerID})
	}
	return out, keys, rows.Err()
}

// likePattern is the ILIKE pattern matching any text that contains q literally.
func likePattern(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
}

// Vehicles returns up to limit vehicles matching f with license_number > after, by
// license_number.
func (r *RefDataPostgresRepository) Vehicles(ctx context.Context, f application.VehicleFilter, after string, limit int) ([]application.Vehicle, error) {
	sql := `SELECT ` + vehicleColumns + ` FROM vehicles WHERE license_number > $1`
	args := []any{after}
	if f.Q != "" {
		args = append(args, likePattern(f.Q))
		n := len(args)
		sql += fmt.Sprintf(` AND (license_number ILIKE $%[1]d OR brand ILIKE $%[1]d OR type ILIKE $%[1]d)`, n)
	}
	if f.OwnerID != "" {
		args = append(args, f.OwnerID)
		sql += fmt.Sprintf(` AND owner_id = $%d`, len(args))
	}
	sql += fmt.Sprintf(` ORDER BY license_number LIMIT %d`, limit)
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanVehicle)
}

// Vehicle returns the vehicle with the (upper-cased) licence number or
// application.ErrVehicleNotFound.
func (r *RefDataPostgresRepository) Vehicle(ctx context.Context, licenseNumber string) (application.Vehicle, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+vehicleColumns+` FROM vehicles WHERE license_number = $1`, licenseNumber)
	if err != nil {
		return application.Vehicle{}, err
	}
	v, err := pgx.CollectExactlyOneRow(rows, scanVehicle)
	if errors.Is(err, pgx.ErrNoRows) {
		return application.Vehicle{}, application.ErrVehicleNotFound
	}
	return v, err
}

// RefDataTxStore writes reference data inside one transaction (the consumer's, which
// also records the event in the inbox). It implements application.RefDataWriter and
// must not outlive the transaction.
type RefDataTxStore struct {
	tx pgx.Tx
}

var _ application.RefDataWriter = (*RefDataTxStore)(nil)

// NewRefDataTxStore binds a store to tx.
func NewRefDataTxStore(tx pgx.Tx) *RefDataTxStore { return &RefDataTxStore{tx: tx} }

// newer is the upsert guard: a sequenced event ($seq > 0) always wins, because the
// consumer applies an aggregate's events in sequence order; an unsequenced one (written
// before sequences existed) wins only over a row from an older event (by event time,
// then event id). %[2]s is the placeholder of the sequence parameter.
const newer = `%[2]s::bigint > 0 OR (EXCLUDED.event_time, EXCLUDED.event_id) > (%[1]s.event_time, %[1]s.event_id)`

// UpsertCustomer inserts or updates the customer unless the stored row is from a newer
// (or the same) event.
func (w *RefDataTxStore) UpsertCustomer(ctx context.Context, c application.Customer, v application.SourceVersion) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO customers (`+customerColumns+`, event_time, event_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
			postal_code = EXCLUDED.postal_code, city = EXCLUDED.city, telephone_number = EXCLUDED.telephone_number,
			email_address = EXCLUDED.email_address, event_time = EXCLUDED.event_time, event_id = EXCLUDED.event_id,
			updated_at = now()
		WHERE `+fmt.Sprintf(newer, "customers", "$10"),
		c.CustomerID, c.Name, c.Address, c.PostalCode, c.City, c.TelephoneNumber, c.EmailAddress, v.Time, v.EventID, v.Seq)
	if err != nil {
		return fmt.Errorf("upsert customer: %w", err)
	}
	return nil
}

// UpsertVehicle inserts or updates the vehicle unless the stored row is from a newer
// (or the same) event.
func (w *RefDataTxStore) UpsertVehicle(ctx context.Context, veh application.Vehicle, v application.SourceVersion) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO vehicles (`+vehicleColumns+`, event_time, event_id)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (license_number) DO UPDATE SET brand = EXCLUDED.brand, type = EXCLUDED.type,
			owner_id = EXCLUDED.owner_id, event_time = EXCLUDED.event_time, event_id = EXCLUDED.event_id,
			updated_at = now()
		WHERE `+fmt.Sprintf(newer, "vehicles", "$7"),
		veh.LicenseNumber, veh.Brand, veh.Type, veh.OwnerID, v.Time, v.EventID, v.Seq)
	if err != nil {
		return fmt.Errorf("upsert vehicle: %w", err)
	}
	return nil
}
