package workshop

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the workshop context to cmd/service, cmd/cdc, the all-in-one and the
// deploy checks: the planning API and its reference-data consumer; its relay publishes
// the planning events.
var Context = app.Context{
	Name:      "workshop",
	Schema:    Schema,
	Port:      5200,
	Publishes: true,
	Build: func(ctx context.Context, d app.Deps, _ app.Options) (app.Module, error) {
		return New(ctx, d)
	},
}
