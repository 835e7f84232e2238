package customers

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the customers context to cmd/service, cmd/cdc, the all-in-one and
// the deploy checks: the customers API; its relay publishes the customer events.
var Context = app.Context{
	Name:      "customers",
	Schema:    Schema,
	Port:      5100,
	Publishes: true,
	Build: func(ctx context.Context, d app.Deps, _ app.Options) (app.Module, error) {
		return New(ctx, d)
	},
}
