package messaging

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Bind adapts a handler written against a transaction-bound store to a callback that
// receives the transaction itself: a Handler when M is events.Envelope, or any hook of
// the same shape (such as mail.DispatcherConfig.OnSent, M being mail.Record).
//
// For every message, the returned function builds the store with newStore(tx) and
// calls handle with it, so everything handle writes through the store commits or rolls
// back with whatever else the caller does in tx (for a Consumer: the event's inbox
// row). The store must not outlive the call. S is what handle declares it needs
// (usually an interface of the driving port or the application); newStore is where a
// context binds its adapter, named <Thing>TxStore by convention, to the transaction:
//
//	messaging.Bind(func(tx pgx.Tx) application.RefDataWriter { return adapters.NewRefDataTxStore(tx) }, handlers.Handle)
//
// Bind adds nothing else: errors, panics and the return value are handle's.
func Bind[S, M any](newStore func(pgx.Tx) S, handle func(ctx context.Context, store S, msg M) error) func(ctx context.Context, tx pgx.Tx, msg M) error {
	return func(ctx context.Context, tx pgx.Tx, msg M) error {
		return handle(ctx, newStore(tx), msg)
	}
}

// Permanent marks err permanent (wrapping ErrPermanent, so a Consumer dead-letters the
// event at once instead of redelivering it) when err matches one of sentinels
// (errors.Is); otherwise it returns err unchanged, nil included. An err already
// permanent is returned unchanged. Each driving port lists the errors that retrying
// cannot cure (an undecodable body, an invalid event) in the one place it returns:
//
//	return messaging.Permanent(err, events.ErrMalformed, domain.ErrInvalidJob)
func Permanent(err error, sentinels ...error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
	}
	return err
}
