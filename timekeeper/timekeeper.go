// Package timekeeper is the timekeeper bounded context: the clock as a service. It
// remembers the current business day in Postgres and publishes DayHasPassed (through
// the transactional outbox, relayed by timekeeper/cmd/cdc) exactly once for every
// business day: at local midnight of its time zone, and on start-up for the current day
// if it has not started yet (after downtime the missed days are not replayed one by
// one). Its API reads the current day and starts the next one on request.
//
// Its public surface is what a process needs to run it: Schema, New, NewWithOptions
// and Options.
package timekeeper

import (
	"context"
	"fmt"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/timekeeper/internal/adapters"
	"github.com/pitstop/pitstop/timekeeper/internal/application"
	"github.com/pitstop/pitstop/timekeeper/internal/ports"
)

// Schema is the Postgres schema the timekeeper context owns; its outbox lives there too.
const Schema = "timekeeper"

// DefaultTimeZone is the time zone whose midnight begins a business day unless
// Options.Location says otherwise (cmd/service reads TIMEKEEPER_TIME_ZONE).
const DefaultTimeZone = "Europe/Amsterdam"

// Options configure the timekeeper; the zero value means the defaults.
type Options struct {
	// Location is the garage's time zone: a business day begins at its local midnight
	// (daylight-saving changes included). Default: DefaultTimeZone.
	Location *time.Location
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// After waits for a duration, as time.After does (the default); tests pass a fake
	// that they fire themselves, together with a fake Now.
	After func(time.Duration) <-chan time.Time
}

// New is NewWithOptions with the default options: Europe/Amsterdam, the system clock.
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	return NewWithOptions(ctx, d, Options{})
}

// NewWithOptions migrates the timekeeper schema (its tables and its outbox) through
// d.Pool, whose search_path must be Schema, and returns the context's module: the HTTP
// API under /api/time and one worker, the midnight scheduler, which starts the current
// business day at once and then every next one at local midnight. Several replicas may
// run on one database; each business day still starts exactly once.
func NewWithOptions(ctx context.Context, d app.Deps, o Options) (app.Module, error) {
	loc := o.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(DefaultTimeZone); err != nil {
			return nil, fmt.Errorf("timekeeper: time zone: %w", err)
		}
	}
	if err := adapters.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("timekeeper: %w", err)
	}
	if err := outbox.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("timekeeper: %w", err)
	}
	var metrics *ports.Metrics
	if d.Registry != nil {
		metrics = ports.NewMetrics(d.Registry)
	}
	if d.Log != nil {
		d.Log.InfoContext(ctx, "timekeeper configured", "time_zone", loc.String())
	}
	repo := adapters.NewBusinessDayPostgresRepository(d.Pool, Schema)
	a := application.New(repo, o.Now, loc) // nil Now: time.Now
	return module{
		http:      ports.NewHTTPHandlers(a, loc, d.Log, metrics),
		scheduler: ports.NewMidnightScheduler(a.StartCurrentDay, o.Now, o.After, loc, d.Log, metrics),
	}, nil
}

type module struct {
	http      *ports.HTTPHandlers
	scheduler *ports.MidnightScheduler
}

// Routes mounts the timekeeper API on r.
func (m module) Routes(r chi.Router) { m.http.Routes(r) }

// Workers returns the midnight scheduler.
func (m module) Workers() []func(ctx context.Context) error {
	return []func(ctx context.Context) error{m.scheduler.Run}
}
