// Package notificationevents is the notifications context's event contract.
package notificationevents

// Source is the CloudEvents source of notifications events.
const Source = "pitstop/notifications"

// SubjectMaintenanceReminderSent is the subject (and CloudEvents type) of MaintenanceReminderSent.
const SubjectMaintenanceReminderSent = "pitstop.notifications.MaintenanceReminderSent"

// MaintenanceReminderSent is published when a reminder e-mail has been queued for a
// customer; MessageID is the e-mail's stable Message-ID.
type MaintenanceReminderSent struct {
	CustomerID string   `json:"customerId"`
	Date       string   `json:"date"`
	JobIDs     []string `json:"jobIds"`
	MessageID  string   `json:"messageId"`
}

// EventType implements events.Payload.
func (MaintenanceReminderSent) EventType() string { return SubjectMaintenanceReminderSent }

// EventSubject implements events.Payload.
func (e MaintenanceReminderSent) EventSubject() string { return e.CustomerID }
