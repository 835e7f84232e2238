package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/mail"
)

func TestContextAddresses(t *testing.T) {
	t.Parallel()
	c := app.Context{Name: "customers", Port: 5100, Publishes: true}
	if c.Addr() != ":5100" || c.RelayAddr() != ":5101" || c.RelayName() != "customers-cdc" {
		t.Fatalf("Addr %q, RelayAddr %q, RelayName %q", c.Addr(), c.RelayAddr(), c.RelayName())
	}
}

func TestOptionsFromResolvesOnlyWhatTheContextUses(t *testing.T) {
	t.Parallel()
	bad := config.Service{Mail: config.Mail{SMTPURL: "gopher://nowhere"}, TimeZone: config.TimeZone{Name: "Mars/Olympus_Mons"}}
	good := config.Service{Mail: config.Mail{MailDir: t.TempDir()}, TimeZone: config.TimeZone{Name: "Asia/Tokyo"}}

	// A context that uses neither ignores both, even when they are invalid.
	o, err := app.Context{Name: "customers"}.OptionsFrom(bad)
	if err != nil || o.Mail != nil || o.TimeZone != nil {
		t.Fatalf("customers: %+v, %v; want no options and no error", o, err)
	}
	if _, err := (app.Context{Name: "timekeeper", TimeZone: true}).OptionsFrom(bad); err == nil ||
		!strings.Contains(err.Error(), "TIMEKEEPER_TIME_ZONE") {
		t.Fatalf("timekeeper with a bad zone: %v", err)
	}
	if _, err := (app.Context{Name: "invoicing", Mail: true}).OptionsFrom(bad); err == nil ||
		!strings.Contains(err.Error(), "SMTP_URL") {
		t.Fatalf("invoicing with a bad SMTP_URL: %v", err)
	}
	o, err = app.Context{Name: "timekeeper", TimeZone: true}.OptionsFrom(good)
	if err != nil || o.TimeZone == nil || o.TimeZone.String() != "Asia/Tokyo" || o.Mail != nil {
		t.Fatalf("timekeeper: %+v, %v", o, err)
	}
	o, err = app.Context{Name: "invoicing", Mail: true}.OptionsFrom(good)
	fs, ok := o.Mail.(*mail.FileSender)
	if err != nil || !ok || fs.Dir() != good.Mail.MailDir || o.TimeZone != nil {
		t.Fatalf("invoicing without SMTP_URL: %+v, %v; want a FileSender in %s", o, err, good.Mail.MailDir)
	}
}

// TestMainExitsWithExitConfigBeforeConnecting: an invalid configuration stops the
// process with config.ExitConfig before it connects to anything or builds the module.
func TestMainExitsWithExitConfigBeforeConnecting(t *testing.T) {
	// Not parallel: it sets the environment.
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	t.Setenv("NATS_URL", "nats://127.0.0.1:1")
	build := func(context.Context, app.Deps, app.Options) (app.Module, error) {
		t.Fatal("Build called despite an invalid configuration")
		return nil, nil
	}
	c := app.Context{Name: "timekeeper", Schema: "timekeeper", Port: 5500, Publishes: true, TimeZone: true, Build: build}

	t.Setenv("TIMEKEEPER_TIME_ZONE", "Mars/Olympus_Mons")
	if code := app.MainService(c); code != config.ExitConfig {
		t.Errorf("MainService with a bad time zone = %d, want %d", code, config.ExitConfig)
	}
	t.Setenv("TIMEKEEPER_TIME_ZONE", "Europe/Amsterdam")
	t.Setenv("HTTP_READ_TIMEOUT", "soon")
	if code := app.MainService(c); code != config.ExitConfig {
		t.Errorf("MainService with HTTP_READ_TIMEOUT=soon = %d, want %d", code, config.ExitConfig)
	}
	if code := app.MainRelay(c); code != config.ExitConfig {
		t.Errorf("MainRelay with HTTP_READ_TIMEOUT=soon = %d, want %d", code, config.ExitConfig)
	}
}
