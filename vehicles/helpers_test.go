package vehicles_test

import (
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
	"github.com/pitstop/pitstop/vehicles"
)

const maxBody = servicetest.MaxBody

// Owners used by the tests (the vehicles context does not check that they exist).
const (
	ownerLisa = "9b3f7e55-52d7-4c1c-9f4e-6e6a6f0f1a10"
	ownerBram = "2f0c1a8e-7d4b-4e0a-8c55-3b1d2e6f9a01"
)

// harness is one vehicles service on its own fresh database, driven through HTTP;
// every exchange is validated against serviceapis/openapi/vehicles.yaml.
type harness struct{ *servicetest.Service }

// newHarness starts the vehicles module on a fresh database. nc and js may be nil for
// tests that do not touch NATS.
func newHarness(t testing.TB, nc *nats.Conn, js jetstream.JetStream) *harness {
	t.Helper()
	return &harness{servicetest.Start(t, servicetest.Options{Name: "vehicles", Schema: vehicles.Schema,
		Build: vehicles.New, NC: nc, JS: js})}
}

// vehicleJSON is the API's vehicle representation.
type vehicleJSON struct {
	LicenseNumber string `json:"licenseNumber,omitempty"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

func golf() vehicleJSON {
	return vehicleJSON{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: ownerLisa}
}

// register posts v and requires a 201.
func (h *harness) register(v vehicleJSON) vehicleJSON {
	h.T.Helper()
	res := h.Do(http.MethodPost, "/api/vehicles", v)
	if res.Status != http.StatusCreated {
		h.T.Fatalf("register %+v: status %d: %s", v, res.Status, res.Body)
	}
	var got vehicleJSON
	res.JSON(h.T, &got)
	return got
}

// stored counts the vehicles rows and the outbox rows.
type stored struct{ vehicles, outbox int }

func (h *harness) stored() stored {
	h.T.Helper()
	return stored{vehicles: h.Count("vehicles", ""), outbox: h.Count("outbox", "")}
}
