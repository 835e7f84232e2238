package apiclient

import (
	"context"
	"net/http"
)

// Reminder is a maintenance reminder e-mail of the notifications API: one customer's
// jobs planned on Date. SentAt (RFC 3339) is when the mail server accepted it, nil
// while it is pending.
type Reminder struct {
	CustomerID string   `json:"customerId"`
	Date       string   `json:"date"`
	JobIDs     []string `json:"jobIds"`
	MessageID  string   `json:"messageId"`
	CreatedAt  string   `json:"createdAt"`
	SentAt     *string  `json:"sentAt"`
}

// Notifications is the client of /api/reminders.
type Notifications struct{ c client }

// NewNotifications returns the client sending its requests through rt.
func NewNotifications(rt http.RoundTripper) *Notifications {
	return &Notifications{newClient("notifications", rt)}
}

// Reminders returns one page of reminders (oldest first), only customerID's when it is
// not empty.
func (n *Notifications) Reminders(ctx context.Context, cursor, customerID string, limit int) (Page[Reminder], error) {
	q := pageQuery(cursor, limit)
	if customerID != "" {
		q.Set("customerId", customerID)
	}
	var p Page[Reminder]
	err := n.c.do(ctx, http.MethodGet, "/api/reminders", q, nil, &p)
	return p, err
}
