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
//	AUTH_SIGNING_KEY  the web app's Ed25519 token-signing key (base64 seed or PEM); default:
//	               one generated at first start and kept in PITSTOP_DATA_DIR/auth-signing-key
//	PITSTOP_ADMIN_PASSWORD  the first administrator's password (user admin); default: a
//	               one-time password printed at first start, to be changed at first sign-in
//	METRICS_TOKEN  when set, every /metrics needs "Authorization: Bearer <token>"
//	INSECURE_COOKIES  true: the session cookie without Secure (default false)
//
// `pitstop keys` prints a fresh AUTH_SIGNING_KEY and its AUTH_PUBLIC_KEY (for compose,
// Kubernetes Secrets, or services run one by one).
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
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	_ "time/tzdata" // the time zone database, for hosts and images without one

	"github.com/pitstop/pitstop/cmd/pitstop/admincli"
	"github.com/pitstop/pitstop/cmd/pitstop/embeddedpg"
	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/logging"
	"github.com/pitstop/pitstop/shared-go/mail"
)

type cfg struct {
	SigningKey    string `env:"AUTH_SIGNING_KEY"`
	AdminPassword string `env:"PITSTOP_ADMIN_PASSWORD"`
	MetricsToken  string `env:"METRICS_TOKEN"`
	// InsecureCookies: the session cookie without Secure, for browsers that refuse
	// Secure cookies from plain http://127.0.0.1 (Chrome and Firefox accept them).
	InsecureCookies bool   `env:"INSECURE_COOKIES" envDefault:"false"`
	DatabaseURL     string `env:"DATABASE_URL"`
	PGPort          int    `env:"PITSTOP_PG_PORT" envDefault:"5433"`
	NATSURL         string `env:"NATS_URL"`
	DataDir         string `env:"PITSTOP_DATA_DIR" envDefault:".pitstop-data"`
	Host            string `env:"PITSTOP_HOST" envDefault:"127.0.0.1"`
	NATSPort        int    `env:"PITSTOP_NATS_PORT" envDefault:"4223"`
	SMTPURL         string `env:"SMTP_URL"`
	config.Log
	config.TimeZone
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "keys" {
		os.Exit(printKeys())
	}
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
	key, err := signingKey(c.SigningKey, c.DataDir)
	if err != nil {
		log.Error("invalid configuration", "err", err)
		return config.ExitConfig
	}
	sys, err := system.Start(ctx, system.Options{DatabaseURL: c.DatabaseURL, NATSURL: c.NATSURL,
		DataDir: c.DataDir, Host: c.Host, NATSPort: c.NATSPort, Logger: log, Mail: sender, TimeZone: loc,
		SigningKey: key, AdminPassword: c.AdminPassword, MetricsToken: c.MetricsToken,
		InsecureCookies: c.InsecureCookies})
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
	fmt.Printf("Sign in at %s/signin", sys.URL("webapp"))
	switch {
	case sys.SignIn != "":
		fmt.Printf(":\n  %s\n\n", sys.SignIn)
	case c.AdminPassword != "":
		fmt.Printf(" as admin with PITSTOP_ADMIN_PASSWORD (or as any staff account).\n\n")
	default:
		fmt.Printf(" with your staff account (the administrator's password was printed at the first start).\n\n")
	}
	fmt.Printf("API clients: POST %s/api/token {\"username\":...,\"password\":...} and send\n"+
		"\"Authorization: Bearer <access_token>\" with every request (README, \"Signing in\").\n\n", sys.URL("webapp"))
	if err := sys.Wait(); err != nil {
		log.Error("pitstop stopped with an error", "err", err)
		return 1
	}
	log.Info("pitstop stopped")
	return 0
}

// printKeys prints a fresh signing key and its public key as environment assignments.
func printKeys() int {
	pub, priv, err := auth.GenerateKey()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("AUTH_SIGNING_KEY=%s\nAUTH_PUBLIC_KEY=%s\n", auth.EncodePrivateKey(priv), auth.EncodePublicKey(pub))
	return 0
}

// signingKey is the key of AUTH_SIGNING_KEY or, without it, the one kept in dataDir
// (created with mode 0600 at first start), so tokens and the services' trust survive
// a restart.
func signingKey(env, dataDir string) (ed25519.PrivateKey, error) {
	if env != "" {
		k, err := auth.ParsePrivateKey(env)
		if err != nil {
			return nil, fmt.Errorf("AUTH_SIGNING_KEY: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(dataDir, "auth-signing-key")
	if b, err := os.ReadFile(path); err == nil {
		k, err := auth.ParsePrivateKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	_, k, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(auth.EncodePrivateKey(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}
