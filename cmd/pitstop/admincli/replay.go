package admincli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pitstop/pitstop/shared-go/admin"
)

func (c *cli) replay(ctx context.Context, args []string) error {
	fs := c.newFlags("replay", "replay --consumer NAME (--since TIME | --since-seq N) [--no-wait] [--json]")
	var (
		req            admin.ReplayRequest
		since          string
		noWait, asJSON bool
	)
	fs.StringVar(&req.Consumer, "consumer", "", "the durable consumer to redeliver to (required), e.g. invoicing")
	fs.StringVar(&since, "since", "", "redeliver from this time: RFC 3339 (2026-12-01T00:00:00Z), a date (2026-12-01, UTC) or an age ago (6h, 2d)")
	fs.Uint64Var(&req.SinceSeq, "since-seq", 0, "redeliver from this stream sequence")
	fs.BoolVar(&noWait, "no-wait", false, "return at once instead of following the consumer's progress")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if since != "" {
		t, err := parseSince(since, time.Now())
		if err != nil {
			return usageError(fs, "--since: %v", err)
		}
		req.Since = &t
	}
	if err := req.Validate(time.Now()); err != nil {
		return usageError(fs, "%v", strings.TrimPrefix(err.Error(), admin.ErrInvalid.Error()+": "))
	}
	adm, err := c.admin(ctx, true, false)
	if err != nil {
		return err
	}
	res, err := adm.Replay(ctx, req)
	if err != nil {
		return err
	}
	if !asJSON {
		from := fmt.Sprintf("stream sequence %d", res.StartSeq)
		if res.StartTime != nil {
			from = res.StartTime.Format(time.RFC3339)
		}
		fmt.Fprintf(c.o.Stdout, "consumer %s now delivers from %s: %d messages to redeliver; its inbox drops what it already applied.\n",
			res.Consumer, from, res.Pending)
	}
	if !noWait {
		if err := c.follow(ctx, adm, res.Consumer, res.Pending); err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(c.o.Stdout, res)
	}
	return nil
}

// parseSince reads a time, a date (midnight UTC) or an age before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := admin.ParseAge(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-12-01T00:00:00Z), a date (2026-12-01) or an age (6h, 2d)", s)
}

// follow shows the consumer working through its backlog (NumPending + NumAckPending)
// on stderr until it is empty, stalls, or ctx ends.
func (c *cli) follow(ctx context.Context, adm *admin.Admin, name string, total uint64) error {
	t := time.NewTicker(c.o.PollInterval)
	defer t.Stop()
	bar := progress{w: c.o, name: name, lastDecile: -1}
	var (
		last    = ^uint64(0)
		changed = time.Now()
	)
	for {
		p, err := adm.Progress(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				bar.done(fmt.Sprintf("stopped following; the replay of %s goes on", name))
				return nil
			}
			bar.done("")
			return err
		}
		rem := p.Remaining()
		total = max(total, rem) // new events may arrive meanwhile
		bar.draw(total, rem)
		if rem == 0 {
			bar.done(fmt.Sprintf("%s: replay delivered and acknowledged", name))
			return nil
		}
		if rem != last {
			last, changed = rem, time.Now()
		} else if p.Pending == 0 && time.Since(changed) >= c.o.StallAfter {
			bar.done(fmt.Sprintf("%s: everything is delivered, %d messages stay unacknowledged: they wait behind dead letters "+
				"(pitstop dlq list --consumer %s)", name, p.AckPending, name))
			return nil
		}
		select {
		case <-ctx.Done():
			bar.done(fmt.Sprintf("stopped following; the replay of %s goes on", name))
			return nil
		case <-t.C:
		}
	}
}

// progress draws a bar in place on a terminal, a line per tenth otherwise.
type progress struct {
	w          Options
	name       string
	lastDecile int
	drawn      bool
}

func (p *progress) draw(total, remaining uint64) {
	done := total - remaining
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	if p.w.Terminal {
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w.Stderr, "\r%s [%s%s] %3.0f%% %d/%d ", p.name, strings.Repeat("#", n), strings.Repeat(".", width-n),
			frac*100, done, total)
		p.drawn = true
		return
	}
	if d := int(frac * 10); d != p.lastDecile {
		p.lastDecile = d
		fmt.Fprintf(p.w.Stderr, "%s: %3.0f%% (%d/%d)\n", p.name, frac*100, done, total)
	}
}

func (p *progress) done(msg string) {
	if p.drawn {
		fmt.Fprintln(p.w.Stderr)
		p.drawn = false
	}
	if msg != "" {
		fmt.Fprintln(p.w.Stderr, msg)
	}
}
