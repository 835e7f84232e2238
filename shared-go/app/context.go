package app

import (
	"context"
	"strconv"
	"time"

	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/mail"
)

// Context describes one bounded context: everything its cmd/service and cmd/cdc, the
// all-in-one launcher (cmd/pitstop) and the deploy checks need to run it. Each context
// exports exactly one, as the variable Context of its root package (<context>/context.go),
// and every process and check reads that value instead of repeating its name or port.
type Context struct {
	// Name is the service name: the "service" of every log line, the NATS connection
	// name, the OpenAPI document served at /openapi.yaml, the web front-end's upstream
	// and the compose service. The relay is RelayName().
	Name string
	// Schema is the Postgres schema holding all of the context's tables.
	Schema string
	// Port is the documented service port (SYSTEM.md section 6); the relay, if the
	// context has one, listens on Port+1. HTTP_ADDR overrides both in cmd/service and
	// cmd/cdc.
	Port int
	// Publishes is true when the context writes events to an outbox, and so has a relay
	// (cmd/cdc).
	Publishes bool
	// Mail is true when Build sends mail through Options.Mail (SMTP_URL, MAIL_DIR).
	Mail bool
	// TimeZone is true when Build reads Options.TimeZone (TIMEKEEPER_TIME_ZONE).
	TimeZone bool
	// Build migrates the context's tables (its own migration set, then the outbox,
	// inbox and mail sets it uses) in the pool's schema and returns the module.
	Build func(ctx context.Context, d Deps, o Options) (Module, error)
}

// Options are the settings beyond Deps that some contexts need, resolved once by the
// process's main: only the fields named by the Context's Mail and TimeZone flags are
// set by MainService; the all-in-one sets all of them.
type Options struct {
	// Mail delivers e-mail (an SMTP sender, or .eml files in a directory).
	Mail mail.Sender
	// MailDispatch tunes the mail dispatcher; zero fields take the mail defaults.
	MailDispatch mail.DispatcherConfig
	// TimeZone is the garage's; a business day begins at its local midnight.
	TimeZone *time.Location
}

// RelayName is the name of the context's relay process ("customers-cdc").
func (c Context) RelayName() string { return c.Name + "-cdc" }

// Addr is the context's default service listen address (":5100").
func (c Context) Addr() string { return addr(c.Port) }

// RelayAddr is the context's default relay listen address, Port+1 (":5101").
func (c Context) RelayAddr() string { return addr(c.Port + 1) }

// OptionsFrom resolves the Options the context uses from its parsed configuration:
// the mail sender when c.Mail, the time zone when c.TimeZone; the settings of other
// contexts are left alone (an invalid TIMEKEEPER_TIME_ZONE does not stop customers).
// An error is a configuration error (exit code config.ExitConfig).
func (c Context) OptionsFrom(cfg config.Service) (Options, error) {
	var o Options
	if c.Mail {
		s, err := mail.SenderFor(cfg.Mail.SMTPURL, cfg.Mail.MailDir)
		if err != nil {
			return Options{}, err
		}
		o.Mail = s
	}
	if c.TimeZone {
		loc, err := cfg.TimeZone.Location()
		if err != nil {
			return Options{}, err
		}
		o.TimeZone = loc
	}
	return o, nil
}

func addr(port int) string { return ":" + strconv.Itoa(port) }
