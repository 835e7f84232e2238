// Package chaos holds the chaos test of the whole system (TestChaos): every
// <context>/cmd/service and <context>/cmd/cdc runs as its own OS process (two relays of
// each outbox, leader and standby; two replicas of each consumer service) on a private
// PostgreSQL cluster and an in-process JetStream server, while a seeded chaos loop
// SIGKILLs relays and consumers, restarts NATS and crash-restarts Postgres, and a
// driver pushes thousands of commands through the HTTP APIs (retrying with the same
// client-supplied ids when the service answers 5xx or is gone). When the commands are
// done and the system is quiet, a checker queries Postgres and the stream: every event
// in the audit log exactly once, every reminder and invoice exactly once (and their
// mails), every consumer's per-aggregate order, no dead letters, empty outboxes.
//
// Run it with
//
//	go test ./cmd/pitstop/chaos/                         # about 2,000 commands
//	CHAOS_COMMANDS=10000 go test -timeout 30m ./cmd/pitstop/chaos/
//
// Environment:
//
//	CHAOS_COMMANDS           commands to drive (default 2000; make chaos sets 10000)
//	CHAOS_SEED               seed of the fault schedule and of the command mix
//	                         (default random; printed, so a failure can be replayed)
//	CHAOS_LOGS               directory that keeps every process's log (default a temporary
//	                         one, whose tails are printed on failure)
//	CHAOS_CONSUMER_REPLICAS  processes per consumer service (default 2)
//	CHAOS_NO_FAULTS          when set, no faults: a baseline of the same run
//
// The test is skipped only when no PostgreSQL server binaries are installed (see
// cmd/pitstop/embeddedpg).
package chaos
