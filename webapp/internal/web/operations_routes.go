package web

import (
	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/auth"
)

// operationsRoutes mounts the everyday operations' pages (issue 13). It is called
// inside the signed-in group of Routes: every route here already has a session, and a
// POST's CSRF token has been checked; restrict a route to roles with
// r.With(h.requireRole(auth.FrontDesk)).
func (h *Handlers) operationsRoutes(r chi.Router) {
	frontDesk := r.With(h.requireRole(auth.FrontDesk))
	frontDesk.Get("/vehicles/{licenseNumber}/edit", h.editVehicle)
	frontDesk.Post("/vehicles/{licenseNumber}", h.updateVehicle)

	planner := r.With(h.requireRole(auth.Planner))
	planner.Post("/workshop/{date}/jobs/{jobId}/cancel", h.cancelJob)
	planner.Post("/workshop/{date}/jobs/{jobId}/move", h.moveJob)

	// The pickers' JSON: every signed-in role reads customers and vehicles.
	r.Get("/pick/customers", h.pickCustomers)
	r.Get("/pick/vehicles", h.pickVehicles)

	r.Get("/auditlog", h.listAuditLog)
}
