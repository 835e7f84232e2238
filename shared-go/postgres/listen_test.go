package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// Listen wakes on every notification, on every (re)connection (notifications sent while
// it was not listening are lost), survives its connection being killed, and closes its
// channel when its context ends.
func TestListenWakesOnNotificationsAndAfterReconnecting(t *testing.T) {
	t.Parallel()
	pool := testutil.Pool(t, testutil.Database(t), "listentest")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := postgres.Listen(ctx, pool, "pitstop_listen_test", testutil.Logger(t))
	await := func(what string) {
		t.Helper()
		select {
		case <-wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up: %s", what)
		}
	}
	await("after connecting")
	listening := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return listening() == 1 }, "listening")
	if _, err := pool.Exec(ctx, `SELECT pg_notify('pitstop_listen_test', '')`); err != nil {
		t.Fatal(err)
	}
	await("on a notification")
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	await("after reconnecting")
	testutil.Eventually(t, 10*time.Second, func() bool { return listening() == 1 }, "listening again")
	if _, err := pool.Exec(ctx, `SELECT pg_notify('pitstop_listen_test', '')`); err != nil {
		t.Fatal(err)
	}
	await("on a notification after reconnecting")
	cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, open := <-wake:
			if !open {
				return
			}
		case <-deadline:
			t.Fatal("the channel was not closed when the context ended")
		}
	}
}
