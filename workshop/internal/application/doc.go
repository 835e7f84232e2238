// Package application holds the workshop's use cases, one file per command or query.
// A command handler loads the planning, calls the domain and saves it; the repository
// owns the transaction in which the new events and their outbox rows are committed.
// A concurrent save (ErrConcurrencyConflict) is retried from a fresh load, a bounded
// number of times, so that no update is ever lost.
package application
