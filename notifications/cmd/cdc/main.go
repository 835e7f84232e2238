// Command cdc runs the notifications outbox relay on :5301 (HTTP_ADDR overrides it for
// its /healthz, /readyz, /metrics and /leader): it publishes the committed
// MaintenanceReminderSent events of schema notifications to NATS JetStream. The
// configuration comes from the environment; see shared-go/config.
package main

import (
	"os"

	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainRelay("notifications-cdc", notifications.Schema, ":5301")) }
