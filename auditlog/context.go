package auditlog

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the auditlog context to cmd/service, cmd/cdc, the all-in-one and the
// deploy checks: the durable consumer of every Pitstop event and the query API under
// /api/auditlog; no outbox, so no relay.
var Context = app.Context{
	Name:      "auditlog",
	Schema:    Schema,
	Port:      5600,
	Publishes: false,
	Build: func(ctx context.Context, d app.Deps, _ app.Options) (app.Module, error) {
		return New(ctx, d)
	},
}
