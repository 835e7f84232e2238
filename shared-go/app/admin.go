package app

import (
	"context"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/admin"
)

// Republisher is implemented by the modules of contexts that own state and can
// re-emit it as state-transfer events (customers, vehicles): the admin API offers it
// as POST /admin/republish.
type Republisher interface {
	Republish(ctx context.Context) (int, error)
}

// ConsumerNamer may be implemented by modules to name their durable consumers for the
// admin API; without it the consumers are found in the context's inbox tables.
type ConsumerNamer interface {
	ConsumerNames() []string
}

// AdminService describes the context m of a process with dependencies d to the admin
// API: its pool and JetStream, its schema (the pool's search_path, as set by
// postgres.Connect), its consumers and, when m is a Republisher, its state transfer.
func AdminService(d Deps, m Module) admin.Service {
	s := admin.Service{Pool: d.Pool, JS: d.JS, Log: d.Log}
	if d.Pool != nil {
		s.Schema = d.Pool.Config().ConnConfig.RuntimeParams["search_path"]
	}
	if r, ok := m.(Republisher); ok {
		s.Republish = r.Republish
	}
	if c, ok := m.(ConsumerNamer); ok {
		s.Consumers = c.ConsumerNames()
	}
	return s
}

// MountAdmin mounts the operator API of the context (shared-go/admin: dead letters,
// status, replay, republish) under /admin on r, scoped to the context's schema. It
// does nothing without a pool or without a schema (the API must never widen to every
// context of the database by accident).
func MountAdmin(r chi.Router, d Deps, m Module) {
	s := AdminService(d, m)
	if s.Pool == nil || s.Schema == "" {
		return
	}
	admin.Routes(r, s)
}
