// Package admincli is the operator's side of the pitstop command: the subcommands
// dlq, status, replay, republish and slots, over shared-go/admin. cmd/pitstop's main hands
// os.Args to Main when the first argument is one of them; without arguments pitstop
// runs the system as before.
//
//	pitstop dlq list [--context C] [--kind relay|consumer] [--consumer N] [--type T]
//	                 [--older-than D] [--newer-than D] [--all] [--json]
//	pitstop dlq show ID [--context C --consumer-side] [--json]
//	pitstop dlq requeue ID... [--by B] [--note N] [--json]
//	pitstop dlq skip ID... --reason R [--by B] [--json]
//	pitstop status [--json]
//	pitstop replay --consumer NAME (--since TIME | --since-seq N) [--no-wait] [--json]
//	pitstop republish --context customers|vehicles [--json]
//	pitstop slots list [--json]
//	pitstop slots drop NAME --reason R [--force] [--by B] [--json]
//
// A dead letter's ID is "relay:<context>:<n>" (an outbox row the relay gave up on) or
// "consumer:<context>:<n>" (a message a consumer gave up on), as dlq list shows them;
// a bare number with --context (and --consumer-side for a consumer's) works too.
// Ages are Go durations or days (90m, 36h, 2d). "who" (--by) defaults to $USER@host.
// slots lists the database's logical replication slots (an outbox relay's is
// pitstop_<context>_<hash>) and drops one that nobody reads, which would fill the disk.
//
// Environment (shared-go/config): DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) and NATS_URL (default
// nats://127.0.0.1:4222). For the all-in-one's embedded servers use
// DATABASE_URL=postgres://postgres@127.0.0.1:5433/pitstop?sslmode=disable and
// NATS_URL=nats://127.0.0.1:4223. Runbook: docs/operating.md.
package admincli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/admin"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/vehicles"
)

// Commands are the subcommands this package runs.
var Commands = []string{"dlq", "status", "replay", "republish", "slots"}

// IsCommand reports whether name is one of Commands.
func IsCommand(name string) bool { return slices.Contains(Commands, name) }

// Republisher re-emits one context's state through its outbox (customers.Republish).
type Republisher func(ctx context.Context, pool *pgxpool.Pool) (int, error)

// DefaultRepublishers are the contexts that own state to transfer.
func DefaultRepublishers() map[string]Republisher {
	return map[string]Republisher{customers.Schema: customers.Republish, vehicles.Schema: vehicles.Republish}
}

// Options are what Run needs besides the arguments.
type Options struct {
	DatabaseURL string
	NATSURL     string
	Stdout      io.Writer
	Stderr      io.Writer
	// Terminal says Stderr is a terminal (the replay's progress bar redraws in place).
	Terminal bool
	// Republishers by context (default DefaultRepublishers()).
	Republishers map[string]Republisher
	// User is the default of --by (default $USER@hostname).
	User string
	// PollInterval is how often replay polls its consumer (default 500ms).
	PollInterval time.Duration
	// StallAfter ends the replay's wait when nothing is left to deliver and the
	// unacknowledged rest has not moved for this long (default 30s): parked aggregates.
	StallAfter time.Duration
}

type env struct {
	config.Postgres
	config.NATS
}

// Main runs the subcommand in args (os.Args[1:]) with the environment's configuration
// and returns the exit code: 0 done, 1 failed, 2 bad usage.
func Main(args []string) int {
	c, err := config.Load(env{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, Options{DatabaseURL: c.Postgres.URL, NATSURL: c.NATS.URL, Stdout: os.Stdout, Stderr: os.Stderr,
		Terminal: isTerminal(os.Stderr)}, args)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// errUsage marks a usage error (exit code 2); the message is already printed.
var errUsage = errors.New("usage")

// Run runs one subcommand; args[0] is its name.
func Run(ctx context.Context, o Options, args []string) int {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Republishers == nil {
		o.Republishers = DefaultRepublishers()
	}
	if o.User == "" {
		o.User = defaultUser()
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.StallAfter <= 0 {
		o.StallAfter = 30 * time.Second
	}
	c := &cli{o: o}
	defer c.close()
	var err error
	switch {
	case len(args) == 0 || !IsCommand(args[0]):
		fmt.Fprintf(o.Stderr, "pitstop: unknown command; use one of %v\n", Commands)
		return 2
	case args[0] == "dlq":
		err = c.dlq(ctx, args[1:])
	case args[0] == "status":
		err = c.status(ctx, args[1:])
	case args[0] == "replay":
		err = c.replay(ctx, args[1:])
	case args[0] == "republish":
		err = c.republish(ctx, args[1:])
	case args[0] == "slots":
		err = c.slots(ctx, args[1:])
	}
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(o.Stderr, "pitstop %s: %v\n", args[0], err)
		return 1
	}
}

func defaultUser() string {
	user := os.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return user
	}
	return user + "@" + host
}

// cli holds the connections of one run, opened when first needed.
type cli struct {
	o    Options
	pool *pgxpool.Pool
	nc   *nats.Conn
	js   jetstream.JetStream
}

func (c *cli) close() {
	if c.nc != nil {
		c.nc.Close()
	}
	if c.pool != nil {
		c.pool.Close()
	}
}

// db connects to Postgres (any search_path: shared-go/admin names every schema).
func (c *cli) db(ctx context.Context) (*pgxpool.Pool, error) {
	if c.pool != nil {
		return c.pool, nil
	}
	cfg, err := pgxpool.ParseConfig(c.o.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "pitstop-admin"
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("connect to Postgres (DATABASE_URL): %w", err)
	}
	c.pool = pool
	return pool, nil
}

// broker connects to NATS JetStream.
func (c *cli) broker() (jetstream.JetStream, error) {
	if c.js != nil {
		return c.js, nil
	}
	nc, err := nats.Connect(c.o.NATSURL, nats.Name("pitstop-admin"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS (NATS_URL %s): %w", c.o.NATSURL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.nc, c.js = nc, js
	return js, nil
}

// admin returns an unscoped Admin; withBroker connects NATS (required), otherwise the
// broker is used only if it is reachable (warn says why not, when set).
func (c *cli) admin(ctx context.Context, withBroker bool, warn bool) (*admin.Admin, error) {
	pool, err := c.db(ctx)
	if err != nil {
		return nil, err
	}
	js, err := c.broker()
	if err != nil {
		if withBroker {
			return nil, err
		}
		if warn {
			fmt.Fprintf(c.o.Stderr, "warning: %v\n", err)
		}
		js = nil
	}
	return admin.New(pool, js, admin.Options{}), nil
}

// newFlags returns a flag set whose errors and usage go to stderr.
func (c *cli) newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.o.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.o.Stderr, "usage: pitstop %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and positional arguments in any order (flag stops at the first
// positional argument: "dlq skip ID --reason R" must work).
// parseNone parses args, which must hold flags only.
func parseNone(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fs, "unexpected argument %q", pos[0])
	}
	return nil
}

func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageError prints msg and the usage of fs.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "pitstop %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}
