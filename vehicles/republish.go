package vehicles

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/vehicles/internal/adapters"
	"github.com/pitstop/pitstop/vehicles/internal/application"
)

// Republish re-emits every vehicle's current state through the vehicles outbox as
// one pitstop.vehicles.VehicleStateTransferred event per vehicle (the body of
// VehicleUpdated), in registration order, 500 vehicles per transaction, and returns
// how many it wrote. Each event's pitstop-seq continues its vehicle's sequence, so
// consumers order it after everything they have seen of that vehicle. Read models
// rebuilt after the stream's 30-day retention use it (`pitstop republish --context
// vehicles`). pool may have any search_path; the vehicles tables and outbox must exist.
func Republish(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	return application.NewRepublishVehiclesHandler(adapters.NewVehiclePostgresRepublisher(pool, Schema), time.Now).Handle(ctx)
}

// Republish is Republish on the module's pool: the admin API (shared-go/admin) offers it
// as POST /admin/republish on the vehicles service.
func (m module) Republish(ctx context.Context) (int, error) { return Republish(ctx, m.pool) }
