package invoicing

import (
	"context"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Context describes the invoicing context to cmd/service, cmd/cdc, the all-in-one and
// the deploy checks: the consumer that invoices finished jobs when a day begins, the
// mail dispatcher that sends the invoices and the API under /api/invoices; its relay
// publishes InvoiceCreated.
var Context = app.Context{
	Name:      "invoicing",
	Schema:    Schema,
	Port:      5400,
	Publishes: true,
	Mail:      true,
	Build: func(ctx context.Context, d app.Deps, o app.Options) (app.Module, error) {
		return NewWithOptions(ctx, d, Options{Sender: o.Mail, Dispatcher: o.MailDispatch})
	},
}
