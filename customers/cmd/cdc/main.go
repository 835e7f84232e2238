// Command cdc relays the customers outbox to NATS JetStream and serves its /healthz,
// /readyz and /metrics on :5101 (HTTP_ADDR overrides it). Run two for fail-over: one
// leads, the other stands by.
package main

import (
	"os"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainRelay("customers-cdc", customers.Schema, ":5101")) }
