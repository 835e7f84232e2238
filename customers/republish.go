package customers

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers/internal/adapters"
	"github.com/pitstop/pitstop/customers/internal/application"
)

// Republish re-emits every customer's current state through the customers outbox as
// one pitstop.customers.CustomerStateTransferred event per customer (the body of
// CustomerUpdated), in registration order, 500 customers per transaction, and returns
// how many it wrote. Each event's pitstop-seq continues its customer's sequence, so
// consumers order it after everything they have seen of that customer. Read models
// rebuilt after the stream's 30-day retention use it (`pitstop republish --context
// customers`). pool may have any search_path; the customers tables and outbox must exist.
func Republish(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	return application.NewRepublishCustomersHandler(adapters.NewCustomerPostgresRepublisher(pool, Schema), time.Now).Handle(ctx)
}

// Republish is Republish on the module's pool: the admin API (shared-go/admin) offers it
// as POST /admin/republish on the customers service.
func (m module) Republish(ctx context.Context) (int, error) { return Republish(ctx, m.pool) }
