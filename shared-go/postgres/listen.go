package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Listen wakes its caller on notifications of channel: it LISTENs on a connection of
// its own (configured like pool's) until ctx ends, and sends on the returned channel
// (capacity one, so wake-ups coalesce) for every notification, and once after every
// (re)connection, since notifications sent while it was not listening are lost. A lost
// connection is reconnected with a growing pause (100 ms to 5 s); callers poll as well,
// so a gap only delays them. The channel is closed when ctx ends.
func Listen(ctx context.Context, pool *pgxpool.Pool, channel string, log *slog.Logger) <-chan struct{} {
	wake := make(chan struct{}, 1)
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(wake)
		retry := time.Duration(0)
		for ctx.Err() == nil {
			err := listenOnce(ctx, pool, channel, signal)
			if ctx.Err() != nil {
				return
			}
			retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
			log.Debug("notification connection lost; polling meanwhile", "channel", channel, "err", err, "retry_in", retry)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
		}
	}()
	return wake
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, channel string, signal func()) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	signal() // notifications may have been missed while not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		signal()
	}
}
