// Command service runs the auditlog on :5600 (HTTP_ADDR overrides it): the durable
// consumer of every Pitstop event and the query API under /api/auditlog. The rest of
// the configuration comes from the environment; see shared-go/config.
//
// It exits with 2 when the configuration is invalid, 1 when start-up or the service fails.
package main

import (
	"os"

	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainService(auditlog.Context)) }
