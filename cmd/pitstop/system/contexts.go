package system

import (
	"context"
	"time"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/invoicing"
	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/timekeeper"
	"github.com/pitstop/pitstop/vehicles"
	"github.com/pitstop/pitstop/workshop"
)

// ContextOptions configure the contexts that need more than app.Deps.
type ContextOptions struct {
	// Mail delivers reminders and invoices (required).
	Mail mail.Sender
	// MailPoll is the mail dispatchers' polling fallback (zero: the mail default).
	MailPoll time.Duration
	// TimeZone is the garage's; nil means timekeeper.DefaultTimeZone.
	TimeZone *time.Location
}

// Contexts returns every bounded context with its documented port (SYSTEM.md 6).
func Contexts(o ContextOptions) []Context {
	dispatch := mail.DispatcherConfig{PollInterval: o.MailPoll}
	return []Context{
		{Name: "customers", Schema: customers.Schema, Port: 5100, Build: customers.New, Publishes: true},
		{Name: "vehicles", Schema: vehicles.Schema, Port: 5000, Build: vehicles.New, Publishes: true},
		{Name: "workshop", Schema: workshop.Schema, Port: 5200, Build: workshop.New, Publishes: true},
		{Name: "notifications", Schema: notifications.Schema, Port: 5300, Publishes: true,
			Build: func(ctx context.Context, d app.Deps) (app.Module, error) {
				return notifications.NewWithOptions(ctx, d, notifications.Options{Sender: o.Mail, Dispatcher: dispatch})
			}},
		{Name: "invoicing", Schema: invoicing.Schema, Port: 5400, Publishes: true,
			Build: func(ctx context.Context, d app.Deps) (app.Module, error) {
				return invoicing.NewWithOptions(ctx, d, invoicing.Options{Sender: o.Mail, Dispatcher: dispatch})
			}},
		{Name: "timekeeper", Schema: timekeeper.Schema, Port: 5500, Publishes: true,
			Build: func(ctx context.Context, d app.Deps) (app.Module, error) {
				return timekeeper.NewWithOptions(ctx, d, timekeeper.Options{Location: o.TimeZone})
			}},
		{Name: "auditlog", Schema: auditlog.Schema, Port: 5600, Build: auditlog.New},
	}
}
