// Command service runs the timekeeper on :5500 (HTTP_ADDR overrides it): the API
// under /api/time and the scheduler that starts a business day at every local midnight.
//
// Environment, besides the common variables of shared-go/config:
//
//	TIMEKEEPER_TIME_ZONE  IANA time zone whose midnight begins a business day
//	                      (default Europe/Amsterdam)
//
// It exits with 2 when the configuration is invalid, 1 when start-up or the service fails.
package main

import (
	"os"
	_ "time/tzdata" // the time zone database, for hosts and images without one

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/timekeeper"
)

func main() { os.Exit(app.MainService(timekeeper.Context)) }
