package web

import "github.com/go-chi/chi/v5"

// operationsRoutes mounts the everyday operations' pages (issue 13). It is called
// inside the signed-in group of Routes: every route here already has a session, and a
// POST's CSRF token has been checked; restrict a route to roles with
// r.With(h.requireRole(auth.FrontDesk)).
func (h *Handlers) operationsRoutes(r chi.Router) {}
