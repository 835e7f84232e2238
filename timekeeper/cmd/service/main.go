// Command service runs the timekeeper on :5500 (HTTP_ADDR overrides it): the API
// under /api/time and the scheduler that starts a business day at every local midnight.
//
// Environment, besides the common variables of shared-go/config:
//
//	TIMEKEEPER_TIME_ZONE  IANA time zone whose midnight begins a business day
//	                      (default Europe/Amsterdam)
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // the time zone database, for hosts and images without one

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/timekeeper"
)

type settings struct {
	config.Service
	TimeZone string `env:"TIMEKEEPER_TIME_ZONE" envDefault:"Europe/Amsterdam"`
}

func main() { os.Exit(run()) }

func run() int {
	cfg, err := config.Load(settings{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if cfg.TimeZone == "" {
		err = fmt.Errorf("empty: name an IANA time zone such as %s", timekeeper.DefaultTimeZone)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "TIMEKEEPER_TIME_ZONE=%q: %v\n", cfg.TimeZone, err)
		return 2
	}
	return app.MainService("timekeeper", timekeeper.Schema, ":5500", func(ctx context.Context, d app.Deps) (app.Module, error) {
		return timekeeper.NewWithOptions(ctx, d, timekeeper.Options{Location: loc})
	})
}
