package notifications

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the notifications context to cmd/service, cmd/cdc, the all-in-one
// and the deploy checks: the consumer that reminds customers of their jobs when a day
// begins, the mail dispatcher that sends the reminders and the API under /api/reminders;
// its relay publishes MaintenanceReminderSent.
var Context = app.Context{
	Name:      "notifications",
	Schema:    Schema,
	Port:      5300,
	Publishes: true,
	Mail:      true,
	Build: func(ctx context.Context, d app.Deps, o app.Options) (app.Module, error) {
		return NewWithOptions(ctx, d, Options{Sender: o.Mail, Dispatcher: o.MailDispatch})
	},
}
