package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
)

// RepublishBatchSize is how many customers one republish transaction covers.
const RepublishBatchSize = 500

// CustomerRepublisher is the storage RepublishCustomersHandler needs.
type CustomerRepublisher interface {
	// RepublishBatch locks (for share) at most n customers with a position greater
	// than after, in position order, lets event build each one's event, and writes
	// those events to the outbox in one transaction. It returns the last position it
	// covered and how many customers that were (0 when there are no more). The lock
	// orders each event after every committed change of its customer, and before any
	// change that commits later.
	RepublishBatch(ctx context.Context, after int64, n int, event func(c domain.Customer) (events.Envelope, error)) (last int64, count int, err error)
}

// RepublishCustomersHandler re-emits every customer's current state as
// CustomerStateTransferred (state transfer for read models rebuilt after the stream's
// retention).
type RepublishCustomersHandler struct {
	repo CustomerRepublisher
	now  func() time.Time
}

// NewRepublishCustomersHandler returns a handler writing through repo.
func NewRepublishCustomersHandler(repo CustomerRepublisher, now func() time.Time) RepublishCustomersHandler {
	if now == nil {
		now = time.Now
	}
	return RepublishCustomersHandler{repo: repo, now: now}
}

// Handle writes one CustomerStateTransferred per customer, in registration order, in
// transactions of RepublishBatchSize customers, and returns how many it wrote. A
// failure leaves the batches before it committed (their events will be published);
// running it again re-emits everything, which consumers absorb as upserts.
func (h RepublishCustomersHandler) Handle(ctx context.Context) (int, error) {
	total := 0
	var after int64
	for {
		last, n, err := h.repo.RepublishBatch(ctx, after, RepublishBatchSize, func(c domain.Customer) (events.Envelope, error) {
			return events.New(customerevents.Source, customerevents.CustomerStateTransferred{Customer: contract(c)}, h.now())
		})
		if err != nil {
			return total, fmt.Errorf("republish customers after position %d: %w", after, err)
		}
		total += n
		if n < RepublishBatchSize {
			return total, nil
		}
		after = last
	}
}
