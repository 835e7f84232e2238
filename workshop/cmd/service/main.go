// Command service runs the workshop API and its reference-data consumer (default :5200).
// Configuration: see shared-go/config (DATABASE_URL, NATS_URL, HTTP_ADDR, ...).
package main

import (
	"os"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/workshop"
)

func main() { os.Exit(app.MainService("workshop", workshop.Schema, ":5200", workshop.New)) }
