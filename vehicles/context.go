package vehicles

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the vehicles context to cmd/service, cmd/cdc, the all-in-one and the
// deploy checks: the vehicles API; its relay publishes the vehicle events.
var Context = app.Context{
	Name:      "vehicles",
	Schema:    Schema,
	Port:      5000,
	Publishes: true,
	Build: func(ctx context.Context, d app.Deps, _ app.Options) (app.Module, error) {
		return New(ctx, d)
	},
}
