// Package ports holds the notifications context's driving ports: the JetStream event
// handler that keeps the read model and queues the reminders, the mail dispatcher's
// OnSent hook that publishes MaintenanceReminderSent once a reminder's mail has been
// accepted, and the HTTP query API of the reminders.
package ports
