package app_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/app"
)

// Collectors must see "no registry" as a nil interface: a nil *Registry inside the
// interface is not nil, and registering on it panics.
func TestRegistererIsANilInterfaceWithoutARegistry(t *testing.T) {
	if reg := (app.Deps{}).Registerer(); reg != nil {
		t.Fatalf("Registerer() = %#v, want a nil interface", reg)
	}
	r := prometheus.NewRegistry()
	if reg := (app.Deps{Registry: r}).Registerer(); reg != r {
		t.Fatalf("Registerer() = %#v, want the registry", reg)
	}
}
