package adapters

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/shared-go/mail"
)

// Mailbox is invoicing's side of the shared mail outbox (shared-go/mail) in its schema:
// it queues invoice mails inside the caller's transaction. It is safe for concurrent
// use.
type Mailbox struct {
	queue *mail.Queue
}

var _ MailQueue = (*Mailbox)(nil)

// NewMailbox returns the mailbox of schema.
func NewMailbox(schema string) *Mailbox {
	return &Mailbox{queue: mail.NewQueue(schema)}
}

// Enqueue records m in tx; the dispatcher sends it after commit. The same Message-ID is
// stored (and sent) once.
func (b *Mailbox) Enqueue(ctx context.Context, tx pgx.Tx, m application.InvoiceMail) error {
	return b.queue.Enqueue(ctx, tx, mail.Message{ID: m.ID, From: m.From, To: m.To, Subject: m.Subject, HTML: m.HTML})
}
