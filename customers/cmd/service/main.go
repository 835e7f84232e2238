// Command service runs the customers API on :5100 (HTTP_ADDR overrides it). The rest
// of the configuration comes from the environment; see shared-go/config.
package main

import (
	"os"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainService("customers", customers.Schema, ":5100", customers.New)) }
