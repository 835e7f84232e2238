// Package sharedgo is the root of Pitstop's shared Go library. The useful code
// lives in its sub-packages:
//
//   - config: environment parsing into typed structs with documented defaults.
//   - logging: log/slog set-up.
//   - validation: the one field-level validation error of every domain (no
//     infrastructure imports).
//   - problem: RFC 9457 problem documents and the one HTTP error translator.
//   - httpx: the chi HTTP server with timeouts, body limits, request ids,
//     health, readiness, metrics and RED metrics per route.
//   - postgres: pools with a per-context schema, embedded migrations (goose),
//     a transaction helper that never loses a Commit error, and Listen (wake-ups
//     on NOTIFY).
//   - events: the CloudEvents 1.0 binary-mode envelope over NATS headers.
//   - outbox: the transactional outbox writer and the CDC relay (log or poll source).
//   - messaging: JetStream streams, durable consumers, the inbox and dead letters.
//   - mail: the transactional mail queue, its dispatcher and the SMTP and .eml senders.
//   - paging: page sizes, opaque cursors and pages of the list queries.
//   - app: wiring a context into a process (cmd/service, cmd/cdc, the all-in-one).
//   - testutil: fresh databases, in-process JetStream and SMTP servers for tests;
//     testutil/servicetest: one harness for a context module.
//   - archtest: the test that enforces the architecture's import rules.
package sharedgo
