package adapters

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

// CustomerPostgresRepublisher reads customers and writes their state-transfer events
// to the outbox. Unlike the repository it works on a pool with any search_path: each
// transaction sets its own (SET LOCAL), so an operator's tool can use it.
type CustomerPostgresRepublisher struct {
	pool   *pgxpool.Pool
	schema string
	outbox *outbox.Writer
}

var _ application.CustomerRepublisher = (*CustomerPostgresRepublisher)(nil)

// NewCustomerPostgresRepublisher returns a republisher of the customers in schema.
func NewCustomerPostgresRepublisher(pool *pgxpool.Pool, schema string) *CustomerPostgresRepublisher {
	return &CustomerPostgresRepublisher{pool: pool, schema: schema, outbox: outbox.NewWriter(schema)}
}

// RepublishBatch implements application.CustomerRepublisher. The customers are locked
// FOR SHARE: an update of one of them (which locks it FOR UPDATE) commits either before
// this batch (and the event carries its result) or after it (and its own event follows).
func (r *CustomerPostgresRepublisher) RepublishBatch(ctx context.Context, after int64, n int,
	event func(c domain.Customer) (events.Envelope, error)) (int64, int, error) {
	var (
		last  = after
		count int
	)
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		last, count = after, 0
		if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, pgx.Identifier{r.schema}.Sanitize()); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+columns+`, position FROM customers WHERE position > $1
			ORDER BY position LIMIT $2 FOR SHARE`, after, n)
		if err != nil {
			return err
		}
		var evs []events.Envelope
		for rows.Next() {
			c, pos, err := scanCustomer(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ev, err := event(c)
			if err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, ev)
			last = pos
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		count = len(evs)
		return r.outbox.Add(ctx, tx, evs...)
	})
	if err != nil {
		return after, 0, fmt.Errorf("republish customers: %w", err)
	}
	return last, count, nil
}
