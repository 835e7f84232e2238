package ports

import (
	"context"
	"log/slog"
	"time"

	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/timekeeper/internal/application"
	"github.com/pitstop/pitstop/timekeeper/internal/domain"
)

// Timer returns a channel that receives once d has elapsed (time.After in production,
// a channel the test controls in tests).
// SystemActor is the actor of what the scheduler does on its own.
const SystemActor = "system"

type Timer func(d time.Duration) <-chan time.Time

// DayStarter starts the current business day if it has not started yet (the
// application's StartCurrentDayHandler).
type DayStarter interface {
	Handle(ctx context.Context) (application.StartCurrentDayResult, error)
}

// Scheduler timings.
const (
	// MaxWait bounds one wait. Timers run on the monotonic clock, which stops while the
	// host is suspended and ignores wall-clock corrections; waking at least this often
	// to re-read the wall clock bounds how late a midnight can be noticed.
	MaxWait = time.Minute
	// RetryMin and RetryMax bound the back-off after a failed start (database down).
	RetryMin = time.Second
	RetryMax = 30 * time.Second
)

// MidnightScheduler starts business days: at once when it starts (today, if it has not
// started yet: after downtime the current day is started once and missed days are not
// replayed), then at every local midnight of its time zone. Several schedulers (one per
// replica) may run on one database: the repository's lock lets exactly one of them start
// each day.
type MidnightScheduler struct {
	starter DayStarter
	now     domain.Clock
	after   Timer
	loc     *time.Location
	log     *slog.Logger
	metrics *Metrics
}

// NewMidnightScheduler returns a scheduler that starts days through starter, reading
// the time from now and waiting with after (time.Now and time.After when nil) in loc
// (UTC when nil). metrics may be nil.
func NewMidnightScheduler(starter DayStarter, now domain.Clock, after Timer, loc *time.Location,
	log *slog.Logger, metrics *Metrics) *MidnightScheduler {
	if now == nil {
		now = time.Now
	}
	if after == nil {
		after = time.After
	}
	if loc == nil {
		loc = time.UTC
	}
	if log == nil {
		log = slog.Default()
	}
	return &MidnightScheduler{starter: starter, now: now, after: after, loc: loc, log: log, metrics: metrics}
}

// Run starts the current business day and then every next one at local midnight until
// ctx is cancelled; it returns nil then. A failed start (database unreachable) is
// logged and retried with back-off, never fatal.
func (s *MidnightScheduler) Run(ctx context.Context) error {
	var (
		known   domain.Date // the current business day as last seen; zero: not yet
		backoff = RetryMin
	)
	for {
		if known.IsZero() || domain.DateOf(s.now(), s.loc).After(known) {
			// Nobody signed in starts the day at midnight: its events name the system.
			res, err := s.starter.Handle(events.WithActor(ctx, SystemActor))
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				s.metrics.schedulerFailure()
				s.log.ErrorContext(ctx, "starting the business day failed; retrying", "err", err, "retry_in", backoff)
				if !s.wait(ctx, backoff) {
					return nil
				}
				backoff = min(2*backoff, RetryMax)
				continue
			}
			backoff = RetryMin
			// A later day than today may be current (started by POST /api/time/days):
			// nothing starts until the real date passes it.
			known = res.Day.Date()
			if res.Started {
				s.metrics.dayStarted(triggerScheduler)
				s.log.InfoContext(ctx, "business day started", "date", known.String(), "trigger", triggerScheduler,
					"event_id", res.EventID.String())
			}
		}
		now := s.now()
		next := domain.NextMidnight(now, s.loc)
		s.metrics.nextDayAt(float64(next.Unix()) + float64(next.Nanosecond())/1e9)
		if !s.wait(ctx, min(next.Sub(now), MaxWait)) {
			return nil
		}
	}
}

// wait blocks for d or until ctx is cancelled; it reports whether d elapsed.
func (s *MidnightScheduler) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-s.after(d):
		return true
	}
}
