package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// PlanningPostgresRepository is the event store of workshop plannings: table events,
// one stream per planning date. Save appends a planning's new events after its loaded
// version and adds the same events (same ids) to the outbox, in one transaction; the
// primary key (stream_id, version) makes a concurrent append fail instead of
// interleaving. It is safe for concurrent use.
type PlanningPostgresRepository struct {
	pool   *pgxpool.Pool
	outbox *outbox.Writer
	now    func() time.Time
}

// NewPlanningPostgresRepository returns the event store in the pool's schema, whose
// outbox is that of schema. now stamps the events (nil: time.Now).
func NewPlanningPostgresRepository(pool *pgxpool.Pool, schema string, now func() time.Time) *PlanningPostgresRepository {
	if now == nil {
		now = time.Now
	}
	return &PlanningPostgresRepository{pool: pool, outbox: outbox.NewWriter(schema), now: now}
}

// Load replays the planning of date from its events, in version order, through the
// aggregate's apply. It returns domain.ErrPlanningNotFound if the stream is empty.
func (r *PlanningPostgresRepository) Load(ctx context.Context, date domain.PlanningDate) (*domain.WorkshopPlanning, error) {
	rows, err := r.pool.Query(ctx, `SELECT event_type, data FROM events WHERE stream_id = $1 ORDER BY version`, date.String())
	if err != nil {
		return nil, fmt.Errorf("load planning %s: %w", date, err)
	}
	var (
		history []domain.Event
		typ     string
		data    []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&typ, &data}, func() error {
		e, err := FromContract(typ, data)
		if err != nil {
			return fmt.Errorf("event %d (%s): %w", len(history)+1, typ, err)
		}
		history = append(history, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load planning %s: %w", date, err)
	}
	if len(history) == 0 {
		return nil, fmt.Errorf("load planning %s: %w", date, domain.ErrPlanningNotFound)
	}
	return domain.RehydratePlanning(date, history)
}

// Save appends p.Changes() as versions Version()+1, Version()+2, ... and adds them to the
// outbox, in one transaction. If another writer appended to the stream since p was
// loaded, nothing is stored and the error matches domain.ErrConcurrencyConflict.
func (r *PlanningPostgresRepository) Save(ctx context.Context, p *domain.WorkshopPlanning) error {
	changes := p.Changes()
	if len(changes) == 0 {
		return nil
	}
	envs, err := envelopes(p.Date(), changes, r.now())
	if err != nil {
		return err
	}
	for i := range envs {
		// The aggregate version is the event's sequence: unique per planning (the
		// events table's key), so events leave the outbox in version order.
		envs[i].Seq = int64(p.Version() + i + 1)
	}
	err = postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, env := range envs {
			b.Queue(`INSERT INTO events (stream_id, version, event_id, event_type, data, occurred_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, p.Date().String(), env.Seq, env.ID, env.Type, []byte(env.Data), env.Time)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		return r.outbox.Add(ctx, tx, envs...)
	})
	if postgres.IsUniqueViolation(err) {
		return fmt.Errorf("save planning %s at version %d: %w", p.Date(), p.Version(), domain.ErrConcurrencyConflict)
	}
	if err != nil {
		return fmt.Errorf("save planning %s: %w", p.Date(), err)
	}
	return nil
}

// envelopes wraps the planning's events in CloudEvents envelopes with fresh ids; the
// same envelope (same id) is stored in the event store and in the outbox.
func envelopes(date domain.PlanningDate, changes []domain.Event, now time.Time) ([]events.Envelope, error) {
	envs := make([]events.Envelope, 0, len(changes))
	for _, e := range changes {
		payload, err := ToContract(date, e)
		if err != nil {
			return nil, err
		}
		env, err := events.New(workshopevents.Source, payload, now)
		if err != nil {
			return nil, err
		}
		envs = append(envs, env)
	}
	return envs, nil
}
