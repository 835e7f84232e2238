// Command service runs the auditlog on :5600 (HTTP_ADDR overrides it): the durable
// consumer of every Pitstop event and the query API under /api/auditlog. The rest of
// the configuration comes from the environment; see shared-go/config.
package main

import (
	"os"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainService("auditlog", auditlog.Schema, ":5600", auditlog.New)) }
