package admincli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/pitstop/pitstop/shared-go/admin"
)

func (c *cli) status(ctx context.Context, args []string) error {
	fs := c.newFlags("status", "status [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	adm, err := c.admin(ctx, false, false)
	if err != nil {
		return err
	}
	st, err := adm.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.o.Stdout, st)
	}
	w := c.o.Stdout
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTBOX\tDEPTH\tOLDEST\tRETRYING\tRELAY LEADER\tDEAD LETTERS\tPARKED AGGREGATES\tHELD ROWS\tSLOT\tSLOT LAG / RETAINED")
	for _, o := range st.Outboxes {
		oldest := "-"
		if o.Depth > 0 {
			oldest = age(time.Duration(o.OldestAgeSeconds * float64(time.Second)))
		}
		slot, slotWAL := "-", "-"
		if o.Slot != nil {
			slot, slotWAL = "active", bytesIEC(o.Slot.LagBytes)+" / "+bytesIEC(o.Slot.RetainedBytes)
			if !o.Slot.Active {
				slot = "NOT READ"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%s\t%s\n", o.Context, o.Depth, oldest, o.Retrying, leader(o.Leader),
			o.DeadLetters, o.ParkedAggregates, o.HeldRows, slot, slotWAL)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONSUMER\tCONTEXT\tPENDING\tACK PENDING\tREDELIVERED\tDEAD LETTERS\tPARKED AGGREGATES\tDELIVERS FROM\tLAST DELIVERY")
	for _, cs := range st.Consumers {
		if !cs.OnStream && st.BrokerError == "" {
			fmt.Fprintf(tw, "%s\t%s\tNOT ON STREAM\t\t\t%d\t%d\t\t\n", cs.Name, dash(cs.Context), cs.DeadLetters, cs.ParkedAggregates)
			continue
		}
		if !cs.OnStream {
			fmt.Fprintf(tw, "%s\t%s\t?\t?\t?\t%d\t%d\t\t\n", cs.Name, dash(cs.Context), cs.DeadLetters, cs.ParkedAggregates)
			continue
		}
		last := "-"
		if cs.LastDelivered != nil {
			last = age(time.Since(*cs.LastDelivered)) + " ago"
		}
		dead := fmt.Sprint(cs.DeadLetters)
		if cs.RequeuePending > 0 {
			dead += fmt.Sprintf(" (%d requeue-pending)", cs.RequeuePending)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%s\t%s\n", cs.Name, dash(cs.Context), cs.NumPending, cs.NumAckPending,
			cs.NumRedelivered, dead, cs.ParkedAggregates, cs.DeliverPolicy, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.Stream != nil {
		fmt.Fprintf(w, "\nstream %s: %d messages, seq %d..%d", st.Stream.Name, st.Stream.Messages, st.Stream.FirstSeq, st.Stream.LastSeq)
		if !st.Stream.FirstTime.IsZero() && st.Stream.Messages > 0 {
			fmt.Fprintf(w, ", oldest %s", st.Stream.FirstTime.Format(time.RFC3339))
		}
		fmt.Fprintln(w)
	}
	if st.BrokerError != "" {
		fmt.Fprintf(w, "\nJetStream unavailable, consumer numbers missing: %s\n", st.BrokerError)
	}
	return nil
}

func leader(l *admin.RelayLeader) string {
	if l == nil {
		return "NONE"
	}
	s := fmt.Sprintf("pid %d", l.PID)
	if l.Application != "" {
		s += " " + l.Application
	}
	if l.Client != "" {
		s += "@" + l.Client
	}
	if l.Since != nil {
		s += " for " + age(time.Since(*l.Since))
	}
	return s
}
