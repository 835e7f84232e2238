package application

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// RetryPolicy bounds how often a command is re-run from a fresh load after a concurrent
// save conflict. The wait before attempt n+1 is random in [0, min(MaxDelay, BaseDelay*2^n))
// ("full jitter"), so colliding writers spread out.
type RetryPolicy struct {
	// Attempts is the total number of tries (default 8).
	Attempts int
	// BaseDelay is the first back-off ceiling (default 2ms).
	BaseDelay time.Duration
	// MaxDelay caps the back-off ceiling (default 50ms).
	MaxDelay time.Duration
}

// DefaultRetryPolicy is used when a handler is given the zero RetryPolicy.
var DefaultRetryPolicy = RetryPolicy{Attempts: 8, BaseDelay: 2 * time.Millisecond, MaxDelay: 50 * time.Millisecond}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetryPolicy.Attempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	return p
}

// run calls fn until it returns something other than a concurrency conflict, at most
// p.Attempts times. When every attempt conflicted it returns the last conflict (still
// matching domain.ErrConcurrencyConflict).
func (p RetryPolicy) run(ctx context.Context, fn func() error) error {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		err := fn()
		if !errors.Is(err, domain.ErrConcurrencyConflict) {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		ceiling := min(p.MaxDelay, p.BaseDelay<<min(attempt-1, 20))
		t := time.NewTimer(rand.N(ceiling) + 1)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}
