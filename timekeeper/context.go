package timekeeper

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the timekeeper context to cmd/service, cmd/cdc, the all-in-one and
// the deploy checks: the API under /api/time and the scheduler that starts a business
// day at every local midnight; its relay publishes DayHasPassed.
var Context = app.Context{
	Name:      "timekeeper",
	Schema:    Schema,
	Port:      5500,
	Publishes: true,
	TimeZone:  true,
	Build: func(ctx context.Context, d app.Deps, o app.Options) (app.Module, error) {
		return NewWithOptions(ctx, d, Options{Location: o.TimeZone})
	},
}
