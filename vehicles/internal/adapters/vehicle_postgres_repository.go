// Package adapters implements the vehicles context's storage on Postgres: the
// vehicles table and, in the same transactions, the context's outbox.
package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"

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

// Get returns the vehicle with the licence number or an error wrapping
// domain.ErrVehicleNotFound.
func (r *VehiclePostgresRepository) Get(ctx context.Context, l domain.LicenseNumber) (domain.Vehicle, error) {
	v, _, err := scanVehicle(r.pool.QueryRow(ctx, `SELECT `+columns+` FROM vehicles WHERE license_number = $1`, l.String()))
	if err != nil {
		return domain.Vehicle{}, fmt.Errorf("get vehicle %s: %w", l, err)
	}
	return v, nil
}

// Update locks the vehicle row (SELECT ... FOR UPDATE, so concurrent updates of one
// vehicle serialise and none is lost), applies fn and stores the result and fn's
// events in one transaction.
func (r *VehiclePostgresRepository) Update(ctx context.Context, l domain.LicenseNumber,
	fn func(v *domain.Vehicle) ([]events.Envelope, error)) (domain.Vehicle, error) {
	var updated domain.Vehicle
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		v, _, err := scanVehicle(tx.QueryRow(ctx,
			`SELECT `+columns+` FROM vehicles WHERE license_number = $1 FOR UPDATE`, l.String()))
		if err != nil {
			return err
		}
		evs, err := fn(&v)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			// Nothing changed: there is nothing to write.
			updated = v
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE vehicles SET brand = $2, type = $3, owner_id = $4, updated_at = now()
				WHERE license_number = $1`,
			v.LicenseNumber().String(), v.Brand(), v.Type(), v.OwnerID()); err != nil {
			return err
		}
		if err := r.outbox.Add(ctx, tx, evs...); err != nil {
			return err
		}
		updated = v
		return nil
	})
	if err != nil {
		return domain.Vehicle{}, fmt.Errorf("update vehicle %s: %w", l, err)
	}
	return updated, nil
}

// ListAfter returns at most n vehicles matching f with a position greater than after,
// in position (registration) order.
func (r *VehiclePostgresRepository) ListAfter(ctx context.Context, f application.VehicleFilter, after int64,
	n int) ([]application.ListedVehicle, error) {
	var (
		rows pgx.Rows
		err  error
	)
	if f.OwnerID != uuid.Nil {
		rows, err = r.pool.Query(ctx, `SELECT `+columns+` FROM vehicles
			WHERE owner_id = $1 AND position > $2 ORDER BY position LIMIT $3`, f.OwnerID, after, n)
	} else {
		rows, err = r.pool.Query(ctx, `SELECT `+columns+` FROM vehicles
			WHERE position > $1 ORDER BY position LIMIT $2`, after, n)
	}
	if err != nil {
		return nil, fmt.Errorf("list vehicles: %w", err)
	}
	defer rows.Close()
	var out []application.ListedVehicle
	for rows.Next() {
		v, pos, err := scanVehicle(rows)
		if err != nil {
			return nil, fmt.Errorf("list vehicles: %w", err)
		}
		out = append(out, application.ListedVehicle{Vehicle: v, Position: pos})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list vehicles: %w", err)
	}
	return out, nil
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
