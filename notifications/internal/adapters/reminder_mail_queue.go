package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/shared-go/mail"
)

// ReminderMailQueue queues reminder mails in the schema's mail outbox
// (shared-go/mail), inside the caller's transaction; the mail Dispatcher sends them
// after commit. It implements MailQueue and is safe for concurrent use.
type ReminderMailQueue struct {
	queue *mail.Queue
}

// NewReminderMailQueue returns the queue of the mail outbox in schema.
func NewReminderMailQueue(schema string) *ReminderMailQueue {
	return &ReminderMailQueue{queue: mail.NewQueue(schema)}
}

// Enqueue records m in tx; the same Message-ID twice is stored once. A message that
// can never be sent (mail.ErrInvalidMessage) is an error wrapping
// domain.ErrInvalidReminder as well: retrying cannot help.
func (q *ReminderMailQueue) Enqueue(ctx context.Context, tx pgx.Tx, m domain.Mail) error {
	err := q.queue.Enqueue(ctx, tx, mail.Message{ID: m.ID, From: m.From, To: m.To, Subject: m.Subject, Text: m.Text})
	if errors.Is(err, mail.ErrInvalidMessage) {
		return fmt.Errorf("%w: %w", domain.ErrInvalidReminder, err)
	}
	return err
}
