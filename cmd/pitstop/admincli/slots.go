package admincli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/pitstop/pitstop/shared-go/admin"
)

const slotsUsage = `slots list|drop

  slots list [--json]
  slots drop NAME --reason R [--force] [--by B] [--json]

A logical replication slot keeps every WAL segment from its position on until its reader
confirms it: a slot nobody reads fills Postgres's disk. Dropping an outbox relay's slot
loses nothing (the relay creates a new one and publishes what is still in the outbox from
the table). An active slot is dropped only with --force, which terminates its WAL sender.
Runbook: docs/operating.md, "Replication slots".`

func (c *cli) slots(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(c.o.Stderr, "usage: pitstop %s\n", slotsUsage)
		return errUsage
	}
	switch args[0] {
	case "list", "ls":
		return c.slotsList(ctx, args[1:])
	case "drop":
		return c.slotsDrop(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprintf(c.o.Stderr, "usage: pitstop %s\n", slotsUsage)
		return nil
	}
	fmt.Fprintf(c.o.Stderr, "pitstop slots: unknown subcommand %q\nusage: pitstop %s\n", args[0], slotsUsage)
	return errUsage
}

// slotAdmin is an Admin on Postgres only (slots need no broker) that logs to stderr.
func (c *cli) slotAdmin(ctx context.Context) (*admin.Admin, error) {
	pool, err := c.db(ctx)
	if err != nil {
		return nil, err
	}
	return admin.New(pool, nil, admin.Options{Log: slog.New(slog.NewTextHandler(c.o.Stderr, nil))}), nil
}

func (c *cli) slotsList(ctx context.Context, args []string) error {
	fs := c.newFlags("slots list", "slots list [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	adm, err := c.slotAdmin(ctx)
	if err != nil {
		return err
	}
	slots, err := adm.Slots(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.o.Stdout, slots)
	}
	if len(slots) == 0 {
		fmt.Fprintln(c.o.Stdout, "No logical replication slots in this database.")
		return nil
	}
	tw := tabwriter.NewWriter(c.o.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tCONTEXT\tACTIVE\tLAG\tRETAINED WAL\tWAL STATUS\tCONFIRMED FLUSH\tPLUGIN")
	inactive := 0
	for _, s := range slots {
		ctxName := s.Context
		if !s.Pitstop {
			ctxName = "- (not Pitstop's)"
		}
		active := "NO"
		if s.Active {
			active = fmt.Sprintf("pid %d", s.ActivePID)
		} else {
			inactive++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, ctxName, active, bytesIEC(s.LagBytes), bytesIEC(s.RetainedBytes),
			dash(s.WALStatus), dash(s.ConfirmedFlushLSN), s.Plugin)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.o.Stdout, "\n%d replication slots", len(slots))
	if inactive > 0 {
		fmt.Fprintf(c.o.Stdout, ", %d not read by anyone: each keeps its WAL on disk until it is read or dropped "+
			"(pitstop slots drop NAME --reason R)", inactive)
	}
	fmt.Fprintln(c.o.Stdout, ". Runbook: docs/operating.md, \"Replication slots\".")
	return nil
}

func (c *cli) slotsDrop(ctx context.Context, args []string) error {
	fs := c.newFlags("slots drop", "slots drop NAME --reason R [--force] [--by B] [--json]")
	var req admin.DropSlotRequest
	fs.StringVar(&req.By, "by", c.o.User, "who does it (logged)")
	fs.StringVar(&req.Reason, "reason", "", "why the slot may be dropped (required; logged)")
	fs.BoolVar(&req.Force, "force", false, "terminate the WAL sender of an active slot first")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "give one slot name (pitstop slots list shows them)")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return usageError(fs, "--reason is required: say why the slot may be dropped")
	}
	if strings.TrimSpace(req.By) == "" {
		return usageError(fs, "--by must not be empty")
	}
	adm, err := c.slotAdmin(ctx)
	if err != nil {
		return err
	}
	out, err := adm.DropSlot(ctx, pos[0], req)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.o.Stdout, out)
	}
	w := c.o.Stdout
	if len(out.Terminated) > 0 {
		fmt.Fprintf(w, "terminated the WAL sender that held it (pid %s)\n", strings.Trim(fmt.Sprint(out.Terminated), "[]"))
	}
	fmt.Fprintf(w, "dropped replication slot %s; it retained %s of WAL\n", out.Slot.Name, bytesIEC(out.Slot.RetainedBytes))
	if out.RecordDeleted {
		fmt.Fprintf(w, "deleted its record in %s.outbox_slot\n", out.Slot.Context)
	}
	if out.Slot.Pitstop {
		fmt.Fprintf(w, "Nothing is lost: the %s relay's next leadership term creates a new slot and publishes the rows still in its outbox from the table.\n",
			out.Slot.Context)
	}
	return nil
}

// bytesIEC renders a byte count for people: 512 B, 1.5 KiB, 2.0 GiB.
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
