package customers_test

import (
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

const maxBody = servicetest.MaxBody

// harness is one customers service on its own fresh database, driven through HTTP;
// every exchange is validated against serviceapis/openapi/customers.yaml.
type harness struct{ *servicetest.Service }

// newHarness starts the customers module on a fresh database. nc and js may be nil for
// tests that do not touch NATS.
func newHarness(t testing.TB, nc *nats.Conn, js jetstream.JetStream) *harness {
	t.Helper()
	return &harness{servicetest.Start(t, servicetest.Options{Name: "customers", Schema: customers.Schema,
		Build: customers.New, NC: nc, JS: js})}
}

// customerJSON is the API's customer representation.
type customerJSON struct {
	CustomerID      string `json:"customerId,omitempty"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

func lisa() customerJSON {
	return customerJSON{
		Name:            "Lisa Verbeek",
		Address:         "Kerkstraat 1",
		PostalCode:      "1234 AB",
		City:            "Amsterdam",
		TelephoneNumber: "+31 6 12345678",
		EmailAddress:    "lisa@example.com",
	}
}

// register posts c and requires a 201.
func (h *harness) register(c customerJSON) customerJSON {
	h.T.Helper()
	res := h.Do(http.MethodPost, "/api/customers", c)
	if res.Status != http.StatusCreated {
		h.T.Fatalf("register: status %d: %s", res.Status, res.Body)
	}
	var got customerJSON
	res.JSON(h.T, &got)
	return got
}

// stored counts the customers rows and the outbox rows.
type stored struct{ customers, outbox int }

func (h *harness) stored() stored { return h.storedFor(h.T) }

// storedFor is stored reporting failures to t (fuzz targets must not use the harness's
// own testing.F inside the fuzz function).
func (h *harness) storedFor(t testing.TB) stored {
	t.Helper()
	s := h.For(t)
	return stored{customers: s.Count("customers", ""), outbox: s.Count("outbox", "")}
}
