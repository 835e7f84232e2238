package workshop_test

import (
	"testing"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
	"github.com/pitstop/pitstop/workshop"
)

// env is one workshop service over a fresh database: its real HTTP handler on an
// httptest server (every exchange validated against serviceapis/openapi/workshop.yaml)
// and, with NATS, its consumers running.
type env struct {
	*servicetest.Service
	t *testing.T
}

type options struct {
	nats     bool
	replicas int // extra servers over the same database
}

func setup(t *testing.T, o options) (*env, []*servicetest.Service) {
	t.Helper()
	opts := servicetest.Options{Name: "workshop", Schema: workshop.Schema, Build: workshop.New,
		JetStream: o.nats, Workers: o.nats}
	e := &env{Service: servicetest.Start(t, opts), t: t}
	var extra []*servicetest.Service
	for range o.replicas {
		extra = append(extra, servicetest.Start(t, servicetest.Options{Name: "workshop", Schema: workshop.Schema,
			Build: workshop.New, DatabaseURL: e.DatabaseURL}))
	}
	return e, extra
}

// stored is the number of events and of outbox rows.
func (e *env) stored() [2]int {
	return [2]int{e.Count("events", ""), e.Count("outbox", "")}
}
