package application

import (
	"context"
	"fmt"
	"time"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// RepublishBatchSize is how many vehicles one republish transaction covers.
const RepublishBatchSize = 500

// VehicleRepublisher is the storage RepublishVehiclesHandler needs.
type VehicleRepublisher interface {
	// RepublishBatch locks (for share) at most n vehicles with a position greater
	// than after, in position order, lets event build each one's event, and writes
	// those events to the outbox in one transaction. It returns the last position it
	// covered and how many vehicles that were (0 when there are no more). The lock
	// orders each event after every committed change of its vehicle, and before any
	// change that commits later.
	RepublishBatch(ctx context.Context, after int64, n int, event func(v domain.Vehicle) (events.Envelope, error)) (last int64, count int, err error)
}

// RepublishVehiclesHandler re-emits every vehicle's current state as
// VehicleStateTransferred (state transfer for read models rebuilt after the stream's
// retention).
type RepublishVehiclesHandler struct {
	repo VehicleRepublisher
	now  func() time.Time
}

// NewRepublishVehiclesHandler returns a handler writing through repo.
func NewRepublishVehiclesHandler(repo VehicleRepublisher, now func() time.Time) RepublishVehiclesHandler {
	if now == nil {
		now = time.Now
	}
	return RepublishVehiclesHandler{repo: repo, now: now}
}

// Handle writes one VehicleStateTransferred per vehicle, in registration order, in
// transactions of RepublishBatchSize vehicles, and returns how many it wrote. A
// failure leaves the batches before it committed (their events will be published);
// running it again re-emits everything, which consumers absorb as upserts.
func (h RepublishVehiclesHandler) Handle(ctx context.Context) (int, error) {
	total := 0
	var after int64
	for {
		last, n, err := h.repo.RepublishBatch(ctx, after, RepublishBatchSize, func(v domain.Vehicle) (events.Envelope, error) {
			return events.New(vehicleevents.Source, vehicleevents.VehicleStateTransferred{Vehicle: contract(v)}, h.now())
		})
		if err != nil {
			return total, fmt.Errorf("republish vehicles after position %d: %w", after, err)
		}
		total += n
		if n < RepublishBatchSize {
			return total, nil
		}
		after = last
	}
}
