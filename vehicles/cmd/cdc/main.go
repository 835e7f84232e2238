// Command cdc relays the vehicles outbox to NATS JetStream and serves its /healthz,
// /readyz and /metrics on :5001 (HTTP_ADDR overrides it). Run two for fail-over: one
// leads, the other stands by.
package main

import (
	"os"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/vehicles"
)

func main() { os.Exit(app.MainRelay("vehicles-cdc", vehicles.Schema, ":5001")) }
