package system

import (
	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/invoicing"
	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/timekeeper"
	"github.com/pitstop/pitstop/vehicles"
	"github.com/pitstop/pitstop/workshop"
)

// descriptors are the seven bounded contexts, in start order: the one list of contexts
// that the all-in-one runs and the deploy checks compare with docker-compose.yml.
var descriptors = []app.Context{
	customers.Context,
	vehicles.Context,
	workshop.Context,
	notifications.Context,
	invoicing.Context,
	timekeeper.Context,
	auditlog.Context,
}

// Context is a context's descriptor together with the options the all-in-one builds
// it with.
type Context struct {
	app.Context
	// Options are handed to the descriptor's Build.
	Options app.Options
}

// ContextOptions are the settings beyond app.Deps that the contexts are built with
// (the mail sender and dispatcher, the garage's time zone).
type ContextOptions = app.Options

// Contexts returns every bounded context with its documented port (SYSTEM.md 6), in
// start order, each to be built with o.
func Contexts(o ContextOptions) []Context {
	out := make([]Context, len(descriptors))
	for i, d := range descriptors {
		out[i] = Context{Context: d, Options: o}
	}
	return out
}
