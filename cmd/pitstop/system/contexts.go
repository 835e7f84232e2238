package system

import (
	"github.com/pitstop/pitstop/auditlog"
	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/timekeeper"
	"github.com/pitstop/pitstop/vehicles"
	"github.com/pitstop/pitstop/workshop"
)

// Contexts returns every bounded context with its documented port (SYSTEM.md 6).
func Contexts() []Context {
	return []Context{
		{Name: "customers", Schema: customers.Schema, Port: 5100, Build: customers.New, Publishes: true},
		{Name: "vehicles", Schema: vehicles.Schema, Port: 5000, Build: vehicles.New, Publishes: true},
		{Name: "workshop", Schema: workshop.Schema, Port: 5200, Build: workshop.New, Publishes: true},
		{Name: "timekeeper", Schema: timekeeper.Schema, Port: 5500, Build: timekeeper.New, Publishes: true},
		{Name: "auditlog", Schema: auditlog.Schema, Port: 5600, Build: auditlog.New},
	}
}
