package adapters

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	return r.SaveAll(ctx, p)
}

// SaveAll is Save of several plannings (of different dates) in one transaction: every
// planning's changes are appended, added to the outbox and projected into job_history,
// or, if any stream was appended to since its planning was loaded, nothing is stored
// (domain.ErrConcurrencyConflict). Streams are written in date order, so that two
// transactions writing the same two days cannot deadlock.
func (r *PlanningPostgresRepository) SaveAll(ctx context.Context, ps ...*domain.WorkshopPlanning) error {
	ps = slices.DeleteFunc(slices.Clone(ps), func(p *domain.WorkshopPlanning) bool { return len(p.Changes()) == 0 })
	if len(ps) == 0 {
		return nil
	}
	slices.SortFunc(ps, func(a, b *domain.WorkshopPlanning) int { return strings.Compare(a.Date().String(), b.Date().String()) })
	for i := 1; i < len(ps); i++ {
		if ps[i].Date() == ps[i-1].Date() {
			return fmt.Errorf("save plannings: %s given twice", ps[i].Date())
		}
	}
	now := r.now()
	var all []events.Envelope
	b := &pgx.Batch{}
	for _, p := range ps {
		envs, err := envelopes(p.Date(), p.Changes(), now)
		if err != nil {
			return err
		}
		for i := range envs {
			// The aggregate version is the event's sequence: unique per planning (the
			// events table's key), so events leave the outbox in version order.
			envs[i].Seq = int64(p.Version() + i + 1)
			b.Queue(`INSERT INTO events (stream_id, version, event_id, event_type, data, occurred_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, p.Date().String(), envs[i].Seq, envs[i].ID, envs[i].Type, []byte(envs[i].Data), envs[i].Time)
		}
		for _, e := range p.Changes() {
			queueHistory(b, p.Date(), e)
		}
		all = append(all, envs...)
	}
	err := postgres.WithTx(ctx, r.pool, func(tx pgx.Tx) error {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		return r.outbox.Add(ctx, tx, all...)
	})
	if postgres.IsUniqueViolation(err) {
		return fmt.Errorf("save plannings %s: %w", dates(ps), domain.ErrConcurrencyConflict)
	}
	if err != nil {
		return fmt.Errorf("save plannings %s: %w", dates(ps), err)
	}
	return nil
}

func dates(ps []*domain.WorkshopPlanning) string {
	s := make([]string, 0, len(ps))
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s@%d", p.Date(), p.Version()))
	}
	return strings.Join(s, ",")
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
