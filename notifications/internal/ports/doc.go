// Package ports holds the notifications context's driving ports: the JetStream event
// handler that keeps the read model and sends the reminders, and the HTTP query API of
// the reminders.
package ports
