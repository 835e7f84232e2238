// Package customers is the customers bounded context: registering and updating the
// garage's customers, published as CustomerRegistered and CustomerUpdated events
// through the transactional outbox (relayed by customers/cmd/cdc).
//
// Its public surface is what a process needs to run it: Schema and New, and Republish
// for operators (state transfer through the outbox).
package customers

import (
	"context"
	"fmt"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers/internal/adapters"
	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/customers/internal/ports"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/outbox"
)

// Schema is the Postgres schema the customers context owns; its outbox lives there too.
const Schema = "customers"

// New migrates the customers schema (its tables and its outbox) through d.Pool, whose
// search_path must be Schema, and returns the context's module: the HTTP API under
// /api/customers and no background workers (the outbox is relayed by cmd/cdc).
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	if err := adapters.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	if err := outbox.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	repo := adapters.NewCustomerPostgresRepository(d.Pool, Schema)
	a := application.New(repo, time.Now)
	return module{http: ports.NewHTTPHandlers(a, d.Log), pool: d.Pool}, nil
}

type module struct {
	http *ports.HTTPHandlers
	pool *pgxpool.Pool
}

// Routes mounts the customers API on r.
func (m module) Routes(r chi.Router) { m.http.Routes(r) }

// Workers returns none: the customers service only serves HTTP.
func (m module) Workers() []func(ctx context.Context) error { return nil }
