// Package workshop is the workshop bounded context: the event-sourced WorkshopPlanning
// (one aggregate per day, its events stored in table events and published through the
// outbox in the same transaction), the planning API (/api/workshopplanning) and the
// reference-data read model of customers and vehicles (/api/refdata) kept from events.
package workshop

import (
	"context"
	"fmt"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/workshop/internal/adapters"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/ports"
)

// Schema is the Postgres schema the workshop owns.
const Schema = "workshop"

type module struct {
	planning *ports.PlanningHTTPHandlers
	refdata  *ports.RefDataHTTPHandlers
	workers  []func(ctx context.Context) error
	checks   []httpx.Check
}

// New migrates the workshop schema (its own tables, the outbox and the inbox) and
// builds the module: the HTTP API and, as its worker, the reference-data consumer
// ("workshop-refdata", customers and vehicles events). d.Pool must use Schema as its
// search_path (postgres.Connect does).
func New(ctx context.Context, d app.Deps) (app.Module, error) {
	if err := adapters.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("workshop: %w", err)
	}
	if err := outbox.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("workshop: %w", err)
	}
	if err := messaging.Migrate(ctx, d.Pool, Schema); err != nil {
		return nil, fmt.Errorf("workshop: %w", err)
	}
	store := adapters.NewPlanningPostgresRepository(d.Pool, Schema, nil)
	refdata := adapters.NewRefDataPostgresRepository(d.Pool)
	retry := application.DefaultRetryPolicy

	refdataEvents := ports.NewRefDataEventHandlers()
	consumer, err := messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{
		Name:           ports.RefDataConsumerName,
		FilterSubjects: ports.RefDataSubjects,
	}, messaging.Bind(func(tx pgx.Tx) application.RefDataWriter { return adapters.NewRefDataTxStore(tx) }, refdataEvents.Handle),
		d.Log, d.Registerer())
	if err != nil {
		return nil, fmt.Errorf("workshop: %w", err)
	}
	return &module{
		planning: ports.NewPlanningHTTPHandlers(ports.PlanningUseCases{
			Plan:        application.NewPlanMaintenanceJobHandler(store, retry),
			Finish:      application.NewFinishMaintenanceJobHandler(store, retry),
			Cancel:      application.NewCancelMaintenanceJobHandler(store, retry),
			Move:        application.NewMoveMaintenanceJobHandler(store, retry),
			GetPlanning: application.NewGetPlanningHandler(store),
			GetJob:      application.NewGetJobHandler(store),
			History:     application.NewJobHistoryHandler(adapters.NewJobHistoryPostgresRepository(d.Pool)),
		}, d.Log),
		refdata: ports.NewRefDataHTTPHandlers(ports.RefDataUseCases{
			ListCustomers: application.NewListCustomersHandler(refdata),
			GetCustomer:   application.NewGetCustomerHandler(refdata),
			ListVehicles:  application.NewListVehiclesHandler(refdata),
			GetVehicle:    application.NewGetVehicleHandler(refdata),
		}, d.Log),
		workers: []func(ctx context.Context) error{consumer.Run},
		checks:  []httpx.Check{{Name: "consumer", Check: consumer.Ready}},
	}, nil
}

// Routes mounts /api/workshopplanning and /api/refdata.
func (m *module) Routes(r chi.Router) {
	m.planning.Routes(r)
	m.refdata.Routes(r)
}

// Workers returns the reference-data consumer.
func (m *module) Workers() []func(ctx context.Context) error { return m.workers }

// ReadyChecks reports the reference-data consumer's infrastructure faults on /readyz.
func (m *module) ReadyChecks() []httpx.Check { return m.checks }
