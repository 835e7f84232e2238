// Command cdc relays the vehicles outbox to NATS JetStream and serves its /healthz,
// /readyz, /metrics and /leader on :5001 (HTTP_ADDR overrides it). Run two for
// fail-over: one leads, the other stands by. The rest of the configuration comes from
// the environment; see shared-go/config.
//
// It exits with 2 when the configuration is invalid, 1 when start-up or the relay fails.
package main

import (
	"os"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/vehicles"
)

func main() { os.Exit(app.MainRelay(vehicles.Context)) }
