package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseAge parses an age for the dead-letter filters: a Go duration ("90m", "1h30m")
// or a whole number of days ("2d").
func ParseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days (like 2d) or a duration (like 90m)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (like 90m or 2d)", s)
	}
	return d, nil
}

// errNoRepublish: the scoped context owns no state to transfer.
var errNoRepublish = errors.New("this context has no state to republish (only the owning contexts, customers and vehicles, do)")

// Republish re-emits the scoped context's state through its outbox (Options.Republish)
// and returns the number of events written; ErrNotFound when there is none.
func (a *Admin) Republish(ctx context.Context) (int, error) {
	if a.opts.Republish == nil {
		return 0, fmt.Errorf("%w: %w", errNoRepublish, ErrNotFound)
	}
	return a.opts.Republish(ctx)
}
