// Package web is the webapp's user interface: server-rendered pages (html/template,
// assets embedded) for customers, vehicles, the workshop planning, the business day,
// reminders and invoices, which call the APIs through the gateway's balancer. Forms
// are validated by the APIs and their problem details are shown next to the fields;
// each form carries the id of what it creates, generated when the form is shown, so a
// repeated submit creates nothing new; the start-the-next-day form carries the day it
// expects to be current instead, so a repeated submit starts nothing.
//
// Sign-in, roles and CSRF (issue 13): every page except /signin and /static needs a
// session (session.go); the API calls a page makes carry a bearer token minted for the
// signed-in staff member (apiclient.WithToken), so the services see who acts. Restrict
// a route to roles with r.With(h.requireRole(auth.FrontDesk, ...)) (administrators may
// always); templates hide what the viewer cannot use with {{if .Can "frontdesk"}}
// (a method of the embedded Layout; the viewer is filled in by render).
//
// Forms need nothing for CSRF: render inserts <input type="hidden" name="csrf_token">
// with the session's token right after every <form ... method="post" ...> opening tag
// of the rendered page, and checkCSRF refuses (403 page, nothing sent to any service)
// every non-GET page request whose csrf_token field (or X-CSRF-Token header) does not
// match its session's token. Cross-origin form posts are refused before that too
// (http.CrossOriginProtection).
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/pitstop/pitstop/shared-go/auth"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
	"github.com/pitstop/pitstop/webapp/internal/gateway"
	accounts "github.com/pitstop/pitstop/webapp/internal/identity"
	"github.com/pitstop/pitstop/webapp/internal/live"
)

// Config are the pages' dependencies.
type Config struct {
	Customers *apiclient.Customers
	Vehicles  *apiclient.Vehicles
	Workshop  *apiclient.Workshop
	// Timekeeper, Notifications and Invoicing serve the business day, reminders and
	// invoices pages.
	Timekeeper    *apiclient.Timekeeper
	Notifications *apiclient.Notifications
	Invoicing     *apiclient.Invoicing
	// Gateway reports the services' health on the home and about pages.
	Gateway *gateway.Gateway
	// Hub feeds the day view's live updates; nil disables them.
	Hub *live.Hub
	// Location is the garage's time zone: "today" and the times of day are in it.
	Location *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger

	// Identity keeps the staff accounts, API clients and sessions.
	Identity *accounts.Store
	// Signer mints the bearer tokens of /api/token and of the pages' API calls.
	Signer *auth.Signer
	// InsecureCookies drops the Secure flag of the cookies (plain-HTTP deployments
	// other than localhost only).
	InsecureCookies bool
}

// Handlers serves the pages.
type Handlers struct {
	Config
	tpl templates
	// startDay serialises this process's start-the-next-day submits, so that two
	// submits of one form cannot both see the expected day and both start a day.
	startDay sync.Mutex
	tokens   tokenCache
}

// New parses the templates and returns the pages.
func New(c Config) (*Handlers, error) {
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Identity == nil || c.Signer == nil {
		return nil, errors.New("web: Identity and Signer are required")
	}
	tpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Handlers{Config: c, tpl: tpl, tokens: tokenCache{m: map[string]cachedToken{}}}, nil
}

// Routes mounts the pages and the static assets on r.
func (h *Handlers) Routes(r chi.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusForbidden, "Forbidden", "This form was sent from another site and was refused.")
	}))
	r.Post("/api/token", h.issueToken)
	r.Group(func(r chi.Router) {
		r.Use(securityHeaders, cop.Handler)
		r.Get("/signin", h.signinForm)
		r.Post("/signin", h.signin)

		// Everything else needs a session, and a POST its CSRF token.
		r.Group(func(r chi.Router) {
			r.Use(h.requireSession, h.checkCSRF)
			r.Post("/signout", h.signout)
			r.Get("/account/password", h.passwordForm)
			r.Post("/account/password", h.changePassword)

			r.Get("/", h.home)
			r.Get("/about", h.about)

			frontDesk := r.With(h.requireRole(auth.FrontDesk))
			r.Get("/customers", h.listCustomers)
			frontDesk.Get("/customers/new", h.newCustomer)
			frontDesk.Post("/customers", h.registerCustomer)
			r.Get("/customers/{customerId}", h.showCustomer)
			frontDesk.Get("/customers/{customerId}/edit", h.editCustomer)
			frontDesk.Post("/customers/{customerId}", h.updateCustomer)

			r.Get("/vehicles", h.listVehicles)
			frontDesk.Get("/vehicles/new", h.newVehicle)
			frontDesk.Post("/vehicles", h.registerVehicle)
			r.Get("/vehicles/{licenseNumber}", h.showVehicle)

			planner := r.With(h.requireRole(auth.Planner))
			mechanic := r.With(h.requireRole(auth.Mechanic))
			r.Get("/workshop", h.workshopToday)
			planner.Get("/workshop/schedule", h.newJob)
			planner.Post("/workshop/schedule", h.scheduleJob)
			r.Get("/workshop/{date}", h.dayView)
			r.Get("/workshop/{date}/joblist", h.jobList)
			r.Get("/workshop/{date}/events", h.planningEvents)
			r.Get("/workshop/{date}/jobs/{jobId}", h.showJob)
			mechanic.Get("/workshop/{date}/jobs/{jobId}/finish", h.finishJobForm)
			mechanic.Post("/workshop/{date}/jobs/{jobId}/finish", h.finishJob)

			admin := r.With(h.requireRole(auth.Administrator))
			admin.Get("/business-day", h.businessDay)
			admin.Post("/business-day", h.startNextDay)
			r.Get("/reminders", h.listReminders)
			r.Get("/invoices", h.listInvoices)
			r.Get("/invoices/{invoiceId}", h.showInvoice)

			admin.Get("/staff", h.staffPage)
			admin.Post("/staff", h.addStaff)
			admin.Post("/staff/{staffId}/disable", h.disableStaff)
			admin.Post("/staff/{staffId}/enable", h.enableStaff)
			admin.Post("/staff/clients", h.addClient)
			admin.Post("/staff/clients/{clientId}/disable", h.disableClient)
			admin.Post("/staff/clients/{clientId}/enable", h.enableClient)

			h.operationsRoutes(r)
		})
	})
	static := http.StripPrefix("/static/", http.FileServerFS(staticFiles()))
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		static.ServeHTTP(w, r)
	})
}

// NotFound answers an unknown page with an HTML 404.
func (h *Handlers) NotFound(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at "+r.URL.Path+".")
}

// securityHeaders forbids framing, inline scripts and foreign resources.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; "+
			"base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// Layout is the part of every page's data that the layout uses.
type Layout struct {
	Title string
	// Nav is the active section: home, customers, vehicles, workshop, businessday,
	// reminders, invoices, about, staff.
	Nav string
	// Viewer is who is signed in; render fills it in from the request.
	Viewer Viewer
}

// Can reports whether the viewer may act in one of roles (an administrator may
// always): templates hide what the viewer cannot use with {{if .Can "frontdesk"}}.
func (l Layout) Can(roles ...string) bool { return l.Viewer.Can(roles...) }

// render sends page with status.
func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	h.renderTemplate(w, r, status, page, "layout", data)
}

// renderTemplate sends one named template of page with status.
func (h *Handlers) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) {
	b, err := h.tpl.execute(page, name, withViewer(data, viewerFrom(r.Context())))
	if err == nil {
		b = injectCSRF(b, csrfFrom(r.Context()))
	}
	if err != nil {
		h.Log.ErrorContext(r.Context(), "render failed", "err", err, "request_id", middleware.GetReqID(r.Context()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorData is the data of error.html.
type errorData struct {
	Layout
	Status  int
	Message string
	Retry   bool
}

func (h *Handlers) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.render(w, r, status, "error.html", errorData{Layout: Layout{Title: title}, Status: status, Message: msg})
}

// offline answers that service is down: only this module is affected, the rest of
// the application keeps working.
func (h *Handlers) offline(w http.ResponseWriter, r *http.Request, nav, service string) {
	w.Header().Set("Retry-After", "5")
	h.render(w, r, http.StatusServiceUnavailable, "error.html", errorData{
		Layout: Layout{Title: capitalize(service) + " offline", Nav: nav}, Status: http.StatusServiceUnavailable,
		Message: offlineMessage(service), Retry: true})
}

func offlineMessage(service string) string {
	return fmt.Sprintf("The %s service is offline, try again soon.", service)
}

// fail answers an error of a call to service on a page that shows data: offline,
// not found, or an internal error.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, nav, service, what string, err error) {
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return // the browser went away
	case errors.Is(err, apiclient.ErrUnavailable):
		h.Log.WarnContext(r.Context(), "service unavailable", "upstream", service, "err", err,
			"request_id", middleware.GetReqID(r.Context()))
		h.offline(w, r, nav, service)
	case apiclient.IsStatus(err, http.StatusNotFound):
		h.render(w, r, http.StatusNotFound, "error.html", errorData{Layout: Layout{Title: capitalize(what) + " not found", Nav: nav},
			Status: http.StatusNotFound, Message: "There is no such " + what + "."})
	default:
		h.Log.ErrorContext(r.Context(), "page failed", "upstream", service, "err", err,
			"request_id", middleware.GetReqID(r.Context()))
		h.render(w, r, http.StatusInternalServerError, "error.html", errorData{Layout: Layout{Title: "Something went wrong", Nav: nav},
			Status: http.StatusInternalServerError, Message: "Something went wrong; it has been logged. Try again."})
	}
}

// formFailed shows on the form why a submit did not go through and returns the status
// to answer with: the API's rejection (400, 409, ...) or, when the service is down,
// 503 with the offline message, the user's input kept.
func (h *Handlers) formFailed(r *http.Request, f *Form, service string, err error, fields map[string]string) int {
	if status, ok := applyProblem(f, err, fields); ok {
		return status
	}
	if errors.Is(err, apiclient.ErrUnavailable) {
		h.Log.WarnContext(r.Context(), "service unavailable", "upstream", service, "err", err,
			"request_id", middleware.GetReqID(r.Context()))
		f.FailGeneral(offlineMessage(service) + " Nothing was saved.")
		return http.StatusServiceUnavailable
	}
	h.Log.ErrorContext(r.Context(), "form submit failed", "upstream", service, "err", err,
		"request_id", middleware.GetReqID(r.Context()))
	f.FailGeneral("Something went wrong; it has been logged. Try again.")
	return http.StatusInternalServerError
}

// parseForm reads a posted form; a body that is not a form is a 400 page.
func (h *Handlers) parseForm(w http.ResponseWriter, r *http.Request) (*Form, bool) {
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return nil, false
	}
	return newForm(r.PostForm), true
}

// seeOther redirects after a successful submit (post/redirect/get).
func seeOther(w http.ResponseWriter, r *http.Request, target string) {
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
