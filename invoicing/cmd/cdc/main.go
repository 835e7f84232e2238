// Command cdc runs the invoicing outbox relay: it publishes the committed
// InvoiceCreated events to NATS JetStream and serves /healthz, /readyz, /metrics and
// /leader on :5401 (HTTP_ADDR overrides it). The rest of the configuration comes from
// the environment; see shared-go/config.
package main

import (
	"os"

	"github.com/pitstop/pitstop/invoicing"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainRelay("invoicing-cdc", invoicing.Schema, ":5401")) }
