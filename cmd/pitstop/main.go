// Command pitstop runs the whole garage in one process: every service and relay on
// the documented ports, NATS JetStream in-process (unless NATS_URL is set) and the
// contexts' schemas in one Postgres database.
//
// Environment:
//
//	DATABASE_URL   Postgres database (created if missing). Default: a private cluster that
//	               pitstop initialises in PITSTOP_DATA_DIR/postgres from the machine's
//	               PostgreSQL binaries and runs on 127.0.0.1:PITSTOP_PG_PORT (default 5433)
//	NATS_URL       external NATS server (default: in-process JetStream on 127.0.0.1:PITSTOP_NATS_PORT, data in PITSTOP_DATA_DIR/nats)
//	PITSTOP_NATS_PORT  port of the in-process JetStream (default 4223)
//	PITSTOP_DATA_DIR  state directory (default .pitstop-data)
//	PITSTOP_HOST   listen host (default 127.0.0.1)
//	SMTP_URL       smtp://host:port of a mail server (e.g. MailDev); default: .eml files in PITSTOP_DATA_DIR/mail
//	TIMEKEEPER_TIME_ZONE  the garage's time zone (default Europe/Amsterdam)
//	LOG_LEVEL, LOG_FORMAT  as for every service
//
// Operator subcommands (cmd/pitstop/admincli, runbook docs/operating.md) work on a
// running system through DATABASE_URL and NATS_URL:
//
//	pitstop dlq list|show|requeue|skip   dead letters of the relays and consumers
//	pitstop status                       outboxes, relay leaders, consumers
//	pitstop replay --consumer N --since T|--since-seq N
//	pitstop republish --context customers|vehicles
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	_ "time/tzdata" // the time zone database, for hosts and images without one

	"github.com/pitstop/pitstop/cmd/pitstop/admincli"
	"github.com/pitstop/pitstop/cmd/pitstop/embeddedpg"
	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/logging"
	"github.com/pitstop/pitstop/shared-go/mail"
)

type cfg struct {
	DatabaseURL string `env:"DATABASE_URL"`
	PGPort      int    `env:"PITSTOP_PG_PORT" envDefault:"5433"`
	NATSURL     string `env:"NATS_URL"`
	DataDir     string `env:"PITSTOP_DATA_DIR" envDefault:".pitstop-data"`
	Host        string `env:"PITSTOP_HOST" envDefault:"127.0.0.1"`
	NATSPort    int    `env:"PITSTOP_NATS_PORT" envDefault:"4223"`
	SMTPURL     string `env:"SMTP_URL"`
	config.Log
	config.TimeZone
}

func main() {
	if len(os.Args) > 1 && admincli.IsCommand(os.Args[1]) {
		os.Exit(admincli.Main(os.Args[1:]))
	}
	os.Exit(run())
}

func run() int {
	c, err := config.Load(cfg{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return config.ExitConfig
	}
	// Each component adds its own service name (system.Start), so the root logger has none.
	log := logging.New("", c.Level, c.Format)
	loc, err := c.TimeZone.Location()
	if err != nil {
		log.Error("invalid configuration", "err", err)
		return config.ExitConfig
	}
	mailDir := filepath.Join(c.DataDir, "mail")
	sender, err := mail.SenderFor(c.SMTPURL, mailDir)
	if err != nil {
		log.Error("invalid configuration", "err", err)
		return config.ExitConfig
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		log.Error("data directory", "err", err)
		return 1
	}
	if c.DatabaseURL == "" {
		cluster, err := embeddedpg.New(filepath.Join(c.DataDir, "postgres"), c.PGPort)
		if err != nil {
			log.Error("embedded postgres", "err", err)
			return 1
		}
		log.Info("starting embedded PostgreSQL", "dir", cluster.Dir, "port", c.PGPort)
		if err := cluster.Start(ctx); err != nil {
			log.Error("embedded postgres", "err", err)
			return 1
		}
		defer func() {
			if err := cluster.Stop(context.Background()); err != nil {
				log.Warn("embedded postgres stop", "err", err)
			}
		}()
		c.DatabaseURL = cluster.URL("pitstop")
	}
	if err := system.EnsureDatabase(ctx, c.DatabaseURL); err != nil {
		log.Error("database", "err", err, "hint", "start PostgreSQL or set DATABASE_URL")
		return 1
	}
	sys, err := system.Start(ctx, system.Options{DatabaseURL: c.DatabaseURL, NATSURL: c.NATSURL,
		DataDir: c.DataDir, Host: c.Host, NATSPort: c.NATSPort, Logger: log, Mail: sender, TimeZone: loc})
	if err != nil {
		log.Error("start-up failed", "err", err)
		return 1
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPitstop is running. Ctrl-C stops it.\n\nSERVICE\tURL\tAPI / METRICS")
	for _, e := range sys.Endpoints {
		fmt.Fprintf(tw, "%s\t%s\t%s/metrics\n", e.Name, e.URL, e.URL)
	}
	fmt.Fprintf(tw, "nats\t%s\t\n", sys.NATSURL)
	fmt.Fprintf(tw, "postgres\t%s\t\n", c.DatabaseURL)
	if c.SMTPURL != "" {
		fmt.Fprintf(tw, "mail\t%s\t\n\n", c.SMTPURL)
	} else {
		fmt.Fprintf(tw, "mail\t%s\t(.eml files)\n\n", mailDir)
	}
	_ = tw.Flush()
	if err := sys.Wait(); err != nil {
		log.Error("pitstop stopped with an error", "err", err)
		return 1
	}
	log.Info("pitstop stopped")
	return 0
}
