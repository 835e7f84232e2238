// Command cdc relays the timekeeper outbox (DayHasPassed events) to NATS JetStream and
// serves its /healthz, /readyz and /metrics on :5501 (HTTP_ADDR overrides it). Run two
// for fail-over: one leads, the other stands by.
package main

import (
	"os"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/timekeeper"
)

func main() { os.Exit(app.MainRelay("timekeeper-cdc", timekeeper.Schema, ":5501")) }
