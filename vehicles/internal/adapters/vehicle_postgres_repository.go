// Package adapters implements the vehicles context's storage on Postgres: the
// vehicles table and, in the same transactions, the context's outbox.
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

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/vehicles/internal/application"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the vehicles tables in the pool's schema (the outbox
// tables are migrated separately by outbox.Migrate).
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "vehicles", postgres.MigrationsDir(migrations))
}

// VehiclePostgresRepository stores vehicles in Postgres and writes their events to
// the outbox in the same transaction. It is safe for concurrent use.
type VehiclePostgresRepository struct {
	pool   *pgxpool.Pool
	outbox *outbox.Writer
}

var _ application.Repository = (*VehiclePostgresRepository)(nil)

// NewVehiclePostgresRepository returns a repository on pool, whose search_path must be
// schema (as pools from postgres.Connect are).
func NewVehiclePostgresRepository(pool *pgxpool.Pool, schema string) *VehiclePostgresRepository {
	return &VehiclePostgresRepository{pool: pool, outbox: outbox.NewWriter(schema)}
}

const columns = `license_number, brand, type, owner_id, position`

// errTaken aborts Add's transaction when the licence number is taken.
var errTaken = errors.New("licence number taken")

// Add inserts v and its events in one transaction. A taken licence number (including
// one taken by a concurrent, not yet committed registration, which the insert waits
// for) yields an error wrapping domain.ErrVehicleExists, and nothing is stored.
//
// ON CONFLICT DO NOTHING rather than catching the unique violation: a duplicate is an
// expected outcome of idempotent retries and should not log errors in Postgres.
func (r *VehiclePostgresRepository) Add(ctx context.Context, v domain.Vehicle, evs ...events.Envelope) error {
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO vehicles (license_number, brand, type, owner_id) VALUES ($1, $2, $3, $4)
				ON CONFLICT (license_number) DO NOTHING`,
			v.LicenseNumber().String(), v.Brand(), v.Type(), v.OwnerID())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errTaken
		}
		return r.outbox.Add(ctx, tx, evs...)
	})
	// The unique violation cannot happen with ON CONFLICT on the only unique key
	// clients control, but is translated too so that the guarantee does not hang on it.
	if errors.Is(err, errTaken) || postgres.IsUniqueViolation(err) {
		return fmt.Errorf("add vehicle %s: %w", v.LicenseNumber(), domain.ErrVehicleExists)
	}
	if err != nil {
		return fmt.Errorf("add vehicle %s: %w", v.LicenseNumber(), err)
	}
	return nil
}

// Get returns the vehicle with the licence number and its version, or an error
// wrapping domain.ErrVehicleNotFound.
func (r *VehiclePostgresRepository) Get(ctx context.Context, l domain.LicenseNumber) (application.VersionedVehicle, error) {
	v, err := scanVersioned(r.pool.QueryRow(ctx, `SELECT `+columns+`, version FROM vehicles WHERE license_number = $1`, l.String()))
	if err != nil {
		return application.VersionedVehicle{}, fmt.Errorf("get vehicle %s: %w", l, err)
	}
	return v, nil
}

// Update locks the vehicle row (SELECT ... FOR UPDATE, so concurrent updates of one
// vehicle serialise: none is lost, and fn sees the version the last one committed),
// applies fn and stores the result, its version increased by one, and fn's events in
// one transaction.
func (r *VehiclePostgresRepository) Update(ctx context.Context, l domain.LicenseNumber,
	fn func(v *domain.Vehicle, version int64) ([]events.Envelope, error)) (application.VersionedVehicle, error) {
	var updated application.VersionedVehicle
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		vv, err := scanVersioned(tx.QueryRow(ctx,
			`SELECT `+columns+`, version FROM vehicles WHERE license_number = $1 FOR UPDATE`, l.String()))
		if err != nil {
			return err
		}
		v := vv.Vehicle
		evs, err := fn(&v, vv.Version)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			// Nothing changed: there is nothing to write, and the version stays.
			updated = vv
			return nil
		}
		// The version condition repeats what the lock guarantees (fn saw the stored
		// version), so that the guarantee does not hang on the lock alone.
		var version int64
		err = tx.QueryRow(ctx, `UPDATE vehicles SET brand = $2, type = $3, owner_id = $4, updated_at = now(),
				version = version + 1 WHERE license_number = $1 AND version = $5 RETURNING version`,
			v.LicenseNumber().String(), v.Brand(), v.Type(), v.OwnerID(), vv.Version).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return application.ErrStaleVehicle
		}
		if err != nil {
			return err
		}
		if err := r.outbox.Add(ctx, tx, evs...); err != nil {
			return err
		}
		updated = application.VersionedVehicle{Vehicle: v, Version: version}
		return nil
	})
	if err != nil {
		return application.VersionedVehicle{}, fmt.Errorf("update vehicle %s: %w", l, err)
	}
	return updated, nil
}

// List returns at most q.Limit vehicles matching q.Filter that follow q.After in
// q.Order. The query is built by listQuery; the indexes of migrations 00001 and 00002
// serve it.
func (r *VehiclePostgresRepository) List(ctx context.Context, q application.VehicleQuery) ([]application.ListedVehicle, error) {
	sql, args := listQuery(q)
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list vehicles: %w", err)
	}
	defer rows.Close()
	var out []application.ListedVehicle
	for rows.Next() {
		var (
			license, brand, typ string
			owner               uuid.UUID
			l                   application.ListedVehicle
			key                 *string
		)
		if err := rows.Scan(&license, &brand, &typ, &owner, &l.Key.Position, &l.Version, &key); err != nil {
			return nil, fmt.Errorf("list vehicles: %w", err)
		}
		if key != nil {
			l.Key.Value = *key
		}
		l.Vehicle = domain.RehydrateVehicle(domain.RehydrateLicenseNumber(license), brand, typ, owner)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list vehicles: %w", err)
	}
	return out, nil
}

// likeEscaper escapes LIKE's wildcards (and its escape character, backslash, the
// default) so that a search string matches literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// listQuery builds the SQL of a page and its arguments. Values are always arguments,
// never spliced into the text; the text only varies with which filters are present
// and the order (one of a fixed set), so that each shape is a prepared statement
// whose plan Postgres picks with the values known.
//
//   - OwnerID: owner_id = $n (vehicles_owner_position)
//   - Q: license_number LIKE '%q%' OR brand ILIKE '%q%' OR type ILIKE '%q%'
//     (vehicles_search_trgm); q comes normalised, so the licence number matches
//     case-sensitively as stored
//   - registration order: position; brand: (lower(brand), position)
//     (vehicles_brand_order); licenseNumber: the key.
func listQuery(q application.VehicleQuery) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Filter.OwnerID != uuid.Nil {
		where = append(where, "owner_id = "+arg(q.Filter.OwnerID))
	}
	if q.Filter.Q != "" {
		p := arg("%" + likeEscaper.Replace(q.Filter.Q) + "%")
		where = append(where, "(license_number LIKE "+p+" OR brand ILIKE "+p+" OR type ILIKE "+p+")")
	}
	cmp, dir := ">", ""
	if q.Order.Descending {
		cmp, dir = "<", " DESC"
	}
	var expr, orderBy string
	switch q.Order.Field {
	case application.SortByLicenseNumber:
		if q.After.Value != "" {
			where = append(where, "license_number "+cmp+" "+arg(q.After.Value)+"::text")
		}
		expr, orderBy = "license_number", "license_number"+dir
	case application.SortByBrand:
		expr = "lower(brand)"
		if q.After.Position > 0 {
			where = append(where, "("+expr+", position) "+cmp+" ("+arg(q.After.Value)+"::text, "+arg(q.After.Position)+"::bigint)")
		}
		orderBy = expr + dir + ", position" + dir
	default:
		if q.After.Position > 0 {
			where = append(where, "position "+cmp+" "+arg(q.After.Position))
		}
		expr, orderBy = "NULL::text", "position"+dir
	}
	sql := `SELECT ` + columns + `, version, ` + expr + ` AS sort_key FROM vehicles`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY ` + orderBy + ` LIMIT ` + arg(q.Limit)
	return sql, args
}

// scanVersioned reads a row of columns followed by the version.
func scanVersioned(row pgx.Row) (application.VersionedVehicle, error) {
	var (
		license, brand, typ string
		owner               uuid.UUID
		pos, version        int64
	)
	err := row.Scan(&license, &brand, &typ, &owner, &pos, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return application.VersionedVehicle{}, domain.ErrVehicleNotFound
	}
	if err != nil {
		return application.VersionedVehicle{}, err
	}
	return application.VersionedVehicle{
		Vehicle: domain.RehydrateVehicle(domain.RehydrateLicenseNumber(license), brand, typ, owner), Version: version}, nil
}

func scanVehicle(row pgx.Row) (domain.Vehicle, int64, error) {
	var (
		license, brand, typ string
		owner               uuid.UUID
		pos                 int64
	)
	err := row.Scan(&license, &brand, &typ, &owner, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Vehicle{}, 0, domain.ErrVehicleNotFound
	}
	if err != nil {
		return domain.Vehicle{}, 0, err
	}
	return domain.RehydrateVehicle(domain.RehydrateLicenseNumber(license), brand, typ, owner), pos, nil
}
