// Package notificationevents is the notifications context's event contract.
package notificationevents

// Source is the CloudEvents source of notifications events.
const Source = "pitstop/notifications"

// SubjectMaintenanceReminderSent is the subject (and CloudEvents type) of MaintenanceReminderSent.
const SubjectMaintenanceReminderSent = "pitstop.notifications.MaintenanceReminderSent"

// MaintenanceReminderSent is published once the reminder e-mail has been accepted by
// the mail server (not when it was queued: while the mail server is down there is no
// event), once per reminder; the event's time (ce-time) is when it was sent. MessageID
// is the e-mail's stable Message-ID.
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
