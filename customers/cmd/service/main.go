// Command service runs the customers API on :5100 (HTTP_ADDR overrides it). The rest
// of the configuration comes from the environment; see shared-go/config.
//
// It exits with 2 when the configuration is invalid, 1 when start-up or the service fails.
package main

import (
	"os"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainService(customers.Context)) }
