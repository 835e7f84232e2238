package admincli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pitstop/pitstop/shared-go/admin"
)

const dlqUsage = `dlq list|show|requeue|skip

  dlq list [--context C] [--kind relay|consumer] [--consumer N] [--type T] [--older-than D] [--newer-than D] [--all] [--json]
  dlq show ID [--context C [--consumer-side]] [--json]
  dlq requeue ID... [--by B] [--note N] [--json]
  dlq skip ID... --reason R [--by B] [--json]

ID is relay:<context>:<n> or consumer:<context>:<n> (as dlq list shows), or n with --context
(and --consumer-side for a consumer's dead letter).`

func (c *cli) dlq(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(c.o.Stderr, "usage: pitstop %s\n", dlqUsage)
		return errUsage
	}
	switch args[0] {
	case "list", "ls":
		return c.dlqList(ctx, args[1:])
	case "show":
		return c.dlqShow(ctx, args[1:])
	case "requeue":
		return c.dlqResolve(ctx, "requeue", args[1:])
	case "skip":
		return c.dlqResolve(ctx, "skip", args[1:])
	case "help", "-h", "--help":
		fmt.Fprintf(c.o.Stderr, "usage: pitstop %s\n", dlqUsage)
		return nil
	}
	fmt.Fprintf(c.o.Stderr, "pitstop dlq: unknown subcommand %q\nusage: pitstop %s\n", args[0], dlqUsage)
	return errUsage
}

func (c *cli) dlqList(ctx context.Context, args []string) error {
	fs := c.newFlags("dlq list", "dlq list [flags]")
	var (
		f                  admin.Filter
		kind, older, newer string
		asJSON             bool
	)
	fs.StringVar(&f.Context, "context", "", "only this context (schema), e.g. customers")
	fs.StringVar(&kind, "kind", "", "only relay or consumer dead letters")
	fs.StringVar(&f.Consumer, "consumer", "", "only this consumer's dead letters, e.g. invoicing")
	fs.StringVar(&f.Type, "type", "", "only this event type, full (pitstop.customers.CustomerUpdated) or short (CustomerUpdated)")
	fs.StringVar(&older, "older-than", "", "only dead letters older than this age (90m, 36h, 2d)")
	fs.StringVar(&newer, "newer-than", "", "only dead letters newer than this age")
	fs.BoolVar(&f.All, "all", false, "include resolved (requeued, skipped) dead letters")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	f.Kind = admin.Kind(kind)
	for _, a := range []struct {
		flag, v string
		dst     *time.Duration
	}{{"older-than", older, &f.OlderThan}, {"newer-than", newer, &f.NewerThan}} {
		if a.v == "" {
			continue
		}
		var err error
		if *a.dst, err = admin.ParseAge(a.v); err != nil {
			return usageError(fs, "--%s: %v", a.flag, err)
		}
	}
	if err := f.Validate(); err != nil {
		return usageError(fs, "%v", err)
	}
	adm, err := c.admin(ctx, false, false)
	if err != nil {
		return err
	}
	dls, err := adm.List(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		if dls == nil {
			dls = []admin.DeadLetter{}
		}
		return writeJSON(c.o.Stdout, dls)
	}
	if len(dls) == 0 {
		what := "unresolved dead letters"
		if f.All {
			what = "dead letters"
		}
		fmt.Fprintf(c.o.Stdout, "No %s.\n", what)
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.o.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAGE\tCONSUMER\tTYPE\tAGGREGATE\tSEQ\tTRIES\tSTATE\tERROR")
	for _, d := range dls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", d.ID, age(now.Sub(d.FailedAt)), dash(d.Consumer), d.EventType,
			dash(d.Aggregate), d.Seq, d.Attempts, state(d), oneLine(d.Error, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.o.Stdout, "\n%d dead letters. pitstop dlq show ID for one; requeue or skip it (docs/operating.md).\n", len(dls))
	return nil
}

// idFlags are the flags that complete a bare row number into an ID.
type idFlags struct {
	context      string
	consumerSide bool
}

func (f *idFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.context, "context", "", "context of a bare row number ID")
	fs.BoolVar(&f.consumerSide, "consumer-side", false, "a bare row number names a consumer dead letter (default: the relay's)")
}

func (f idFlags) id(arg string) (admin.ID, error) {
	if n, err := strconv.ParseInt(arg, 10, 64); err == nil {
		if f.context == "" {
			return admin.ID{}, fmt.Errorf("%q: a bare row number needs --context (or give relay:<context>:%s)", arg, arg)
		}
		kind := admin.Relay
		if f.consumerSide {
			kind = admin.Consumer
		}
		return admin.ParseID(string(kind) + ":" + f.context + ":" + strconv.FormatInt(n, 10))
	}
	id, err := admin.ParseID(arg)
	if err != nil {
		return admin.ID{}, err
	}
	if f.context != "" && f.context != id.Context {
		return admin.ID{}, fmt.Errorf("%s is not in context %s", arg, f.context)
	}
	return id, nil
}

func (c *cli) dlqShow(ctx context.Context, args []string) error {
	fs := c.newFlags("dlq show", "dlq show ID [flags]")
	var (
		idf    idFlags
		asJSON bool
	)
	idf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "give one dead letter ID")
	}
	id, err := idf.id(pos[0])
	if err != nil {
		return usageError(fs, "%v", err)
	}
	adm, err := c.admin(ctx, false, false)
	if err != nil {
		return err
	}
	d, err := adm.Get(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.o.Stdout, d)
	}
	return printDeadLetter(c.o.Stdout, d)
}

func printDeadLetter(w io.Writer, d admin.DeadLetter) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("id", d.ID)
	switch d.Kind {
	case admin.Relay:
		row("kind", "relay (the outbox row could not be published; the event is not on the stream)")
	default:
		row("kind", "consumer (the consumer could not handle the message; it is on the stream)")
	}
	row("context", d.Context)
	row("consumer", d.Consumer)
	row("event id", d.EventID)
	row("event type", d.EventType)
	row("source", d.Source)
	row("aggregate", d.Aggregate)
	if d.Seq > 0 {
		row("seq", strconv.FormatInt(d.Seq, 10))
	}
	row("nats subject", d.NATSSubject)
	if d.StreamSeq > 0 {
		row("stream seq", strconv.FormatInt(d.StreamSeq, 10))
	}
	if d.OccurredAt != nil {
		row("occurred at", d.OccurredAt.Format(time.RFC3339))
	}
	row("failed at", fmt.Sprintf("%s (%s ago)", d.FailedAt.Format(time.RFC3339), age(time.Since(d.FailedAt))))
	row("attempts", strconv.Itoa(d.Attempts))
	row("state", state(d))
	if d.ResolvedAt != nil {
		row("resolved at", d.ResolvedAt.Format(time.RFC3339))
	}
	row("resolved by", d.ResolvedBy)
	row("note", d.ResolveNote)
	row("error", d.Error)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.AttemptTimes) > 0 {
		fmt.Fprintln(w, "\nattempts at:")
		for _, t := range d.AttemptTimes {
			fmt.Fprintf(w, "  %s\n", t.Format(time.RFC3339Nano))
		}
	}
	if len(d.Headers) > 0 {
		fmt.Fprintln(w, "\nheaders:")
		keys := make([]string, 0, len(d.Headers))
		for k := range d.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(d.Headers[k], ", "))
		}
	}
	fmt.Fprintln(w, "\npayload:")
	if d.Payload != nil {
		var buf bytes.Buffer
		if json.Indent(&buf, d.Payload, "  ", "  ") == nil {
			fmt.Fprintf(w, "  %s\n", buf.String())
		} else {
			fmt.Fprintf(w, "  %s\n", d.Payload)
		}
	} else {
		fmt.Fprintf(w, "  (not JSON, %d bytes) %q\n", len(d.RawPayload), truncate(string(d.RawPayload), 400))
	}
	if d.Unresolved() {
		fmt.Fprintf(w, "\nRe-drive it:  pitstop dlq requeue %s\nGive it up:   pitstop dlq skip %s --reason '...'\n", d.ID, d.ID)
	}
	return nil
}

func (c *cli) dlqResolve(ctx context.Context, op string, args []string) error {
	usage := "dlq requeue ID... [--by B] [--note N] [--json]"
	if op == "skip" {
		usage = "dlq skip ID... --reason R [--by B] [--json]"
	}
	fs := c.newFlags("dlq "+op, usage)
	var (
		idf              idFlags
		by, note, reason string
		asJSON           bool
	)
	idf.register(fs)
	fs.StringVar(&by, "by", c.o.User, "who does it (recorded with the dead letter)")
	if op == "skip" {
		fs.StringVar(&reason, "reason", "", "why the event may be given up (required; recorded and published)")
	} else {
		fs.StringVar(&note, "note", "", "a note recorded with the dead letter")
	}
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError(fs, "give at least one dead letter ID")
	}
	if op == "skip" && strings.TrimSpace(reason) == "" {
		return usageError(fs, "--reason is required: say why the event may be given up")
	}
	if strings.TrimSpace(by) == "" {
		return usageError(fs, "--by must not be empty")
	}
	ids := make([]admin.ID, len(pos))
	needBroker := false
	for i, p := range pos {
		if ids[i], err = idf.id(p); err != nil {
			return usageError(fs, "%v", err)
		}
		needBroker = needBroker || (op == "requeue" && ids[i].Kind == admin.Consumer)
	}
	adm, err := c.admin(ctx, needBroker, false)
	if err != nil {
		return err
	}
	var (
		outcomes []admin.Outcome
		failed   []error
	)
	for _, id := range ids {
		var (
			out admin.Outcome
			err error
		)
		if op == "skip" {
			out, err = adm.Skip(ctx, id, by, reason)
		} else {
			out, err = adm.Requeue(ctx, id, by, note)
		}
		if err != nil {
			failed = append(failed, err)
			fmt.Fprintf(c.o.Stderr, "%s: %v\n", id, err)
			continue
		}
		outcomes = append(outcomes, out)
		if !asJSON {
			fmt.Fprintln(c.o.Stdout, describe(out))
		}
	}
	if asJSON {
		if outcomes == nil {
			outcomes = []admin.Outcome{}
		}
		if err := writeJSON(c.o.Stdout, outcomes); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d failed", len(failed), len(ids))
	}
	return nil
}

func describe(o admin.Outcome) string {
	switch {
	case o.Action == admin.ResolutionRequeued:
		return fmt.Sprintf("%s: event %s is back in the outbox under its id; the relay publishes it before the rest of its aggregate", o.ID, o.EventID)
	case o.Action == admin.ResolutionRequeuePending && o.Duplicate:
		return fmt.Sprintf("%s: a copy of event %s was already requeued within the broker's duplicate window; that copy is handled", o.ID, o.EventID)
	case o.Action == admin.ResolutionRequeuePending:
		return fmt.Sprintf("%s: a copy of event %s is on the stream (seq %d); the dead letter resolves when the consumer applies it", o.ID, o.EventID, o.StreamSeq)
	case o.WrittenEventID != "":
		return fmt.Sprintf("%s: event %s skipped; recorded as event %s", o.ID, o.EventID, o.WrittenEventID)
	default:
		return fmt.Sprintf("%s: event %s skipped", o.ID, o.EventID)
	}
}

func state(d admin.DeadLetter) string {
	switch {
	case d.ResolvedAt == nil && d.Resolution == admin.ResolutionRequeuePending:
		return "requeue-pending"
	case d.ResolvedAt == nil:
		return "unresolved"
	default:
		return d.Resolution
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string, n int) string {
	return truncate(strings.Join(strings.Fields(s), " "), n)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// age renders a duration for people: 45s, 12m, 3h12m, 2d4h.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}
