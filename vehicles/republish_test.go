package vehicles_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/vehicles"
)

// anyPathPool is a pool on the harness's database whose search_path is not vehicles
// (as the operator's command-line tool has).
func (h *harness) anyPathPool() *pgxpool.Pool {
	h.T.Helper()
	cfg := h.Pool.Config()
	cfg.ConnConfig.RuntimeParams["search_path"] = "public"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		h.T.Fatal(err)
	}
	h.T.Cleanup(pool.Close)
	return pool
}

// Republish writes one VehicleStateTransferred per vehicle with its current state and
// the next seq of its aggregate.
func TestRepublishEmitsOneStateTransferPerVehicleContinuingItsSequence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.register(golf())
	h.register(vehicleJSON{LicenseNumber: "12-XY-34", Brand: "Fiat", Type: "Panda", OwnerID: ownerBram})
	if res := h.Do(http.MethodPut, "/api/vehicles/AB-123-C", vehicleJSON{Brand: "Volkswagen", Type: "Golf", OwnerID: ownerBram}); res.Status != http.StatusOK {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	n, err := vehicles.Republish(context.Background(), h.anyPathPool())
	if err != nil || n != 2 {
		t.Fatalf("Republish = %d, %v", n, err)
	}
	rows, err := h.Pool.Query(context.Background(), `SELECT subject, seq, payload FROM outbox WHERE event_type = $1 ORDER BY id`,
		vehicleevents.SubjectVehicleStateTransferred)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type transfer struct {
		subject string
		seq     int64
		body    vehicleevents.Vehicle
	}
	var got []transfer
	for rows.Next() {
		var (
			tr      transfer
			payload []byte
		)
		if err := rows.Scan(&tr.subject, &tr.seq, &payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(payload, &tr.body); err != nil {
			t.Fatal(err)
		}
		got = append(got, tr)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].subject != "AB-123-C" || got[0].seq != 3 ||
		got[0].body != (vehicleevents.Vehicle{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerBram}) ||
		got[1].subject != "12-XY-34" || got[1].seq != 2 ||
		got[1].body != (vehicleevents.Vehicle{LicenseNumber: "12-XY-34", Brand: "Fiat", Type: "Panda", OwnerID: ownerBram}) {
		t.Fatalf("state transfers = %+v", got)
	}
}
