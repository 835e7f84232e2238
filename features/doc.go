// Package features holds Pitstop's business scenarios in Gherkin (*.feature) and their
// godog step definitions (*_test.go). `go test ./features/` starts the whole system
// in-process (every service and relay, a fresh Postgres database, an in-process
// JetStream) and runs every scenario against it over HTTP, as a user would.
//
// Run one feature: go test ./features/ -run 'TestFeatures/<scenario name>' or
// GODOG_TAGS=@customers go test ./features/.
package features
