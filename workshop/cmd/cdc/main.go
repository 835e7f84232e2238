// Command cdc runs the workshop's outbox relay, publishing the committed planning
// events to NATS JetStream (health and metrics on default :5201).
package main

import (
	"os"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/workshop"
)

func main() { os.Exit(app.MainRelay("workshop-cdc", workshop.Schema, ":5201")) }
