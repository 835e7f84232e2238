// Package vehicles is the vehicles bounded context: registering and updating the
// vehicles the garage maintains, identified by their licence numbers, published as
// VehicleRegistered and VehicleUpdated events through the transactional outbox
// (relayed by vehicles/cmd/cdc).
//
// Its public surface is what a process needs to run it: Schema and New, and Republish
// for operators (state transfer through the outbox).
package vehicles

import (
	"context"
	"fmt"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/vehicles/internal/adapters"
	"github.com/pitstop/pitstop/vehicles/internal/application"
	"github.com/pitstop/pitstop/vehicles/internal/ports"
)

// Schema is the Postgres schema the vehicles context owns; its outbox lives there too.
const Schema = "vehicles"

// New migrates the vehicles schema (its tables and its outbox) through d.Pool, whose
// search_path must be Schema, and returns the context's module: the HTTP API under
// /api/vehicles and no background workers (the outbox is relayed by cmd/cdc).
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	if err := adapters.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("vehicles: %w", err)
	}
	if err := outbox.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("vehicles: %w", err)
	}
	repo := adapters.NewVehiclePostgresRepository(d.Pool, Schema)
	a := application.New(repo, time.Now)
	return module{http: ports.NewHTTPHandlers(a, d.Log), pool: d.Pool}, nil
}

type module struct {
	http *ports.HTTPHandlers
	pool *pgxpool.Pool
}

// Routes mounts the vehicles API on r.
func (m module) Routes(r chi.Router) { m.http.Routes(r) }

// Workers returns none: the vehicles service only serves HTTP.
func (m module) Workers() []func(ctx context.Context) error { return nil }
