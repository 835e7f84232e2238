package admin

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// Service is one context's process as the admin API sees it.
type Service struct {
	// Pool is the context's pool (any search_path).
	Pool *pgxpool.Pool
	// JS is the process's JetStream client (nil: requeueing consumer dead letters,
	// replay and the consumers' part of the status answer 503 / are left out).
	JS jetstream.JetStream
	// Schema is the context's schema: the API sees only its dead letters, its outbox
	// and its consumers. Empty means every context in the database.
	Schema string
	// Consumers are the context's durable consumers (empty: those found in its inbox).
	Consumers []string
	// Republish re-emits the context's state (customers.Republish, vehicles.Republish);
	// nil for contexts that own no state to transfer (POST /admin/republish is a 404).
	Republish func(ctx context.Context) (int, error)
	// Log (default slog.Default()).
	Log *slog.Logger
}

// Routes mounts the admin API of s under /admin on r:
//
//	GET  /admin/dlq?kind=&consumer=&type=&olderThan=&newerThan=&all=   {"items":[DeadLetter]}
//	GET  /admin/dlq/{id}                       DeadLetter with body and headers
//	POST /admin/dlq/{id}/requeue  {by?, note?} Outcome
//	POST /admin/dlq/{id}/skip     {reason, by?} Outcome
//	GET  /admin/status                         Status
//	POST /admin/replay {consumer, since | sinceSeq}  202 ReplayResult
//	POST /admin/republish                      {"events": n} (owning contexts only)
//	GET  /admin/slots                          {"items":[Slot]}
//	DELETE /admin/slots/{name}?force=  {reason, by?}  DroppedSlot
//
// Ids are the text form of ID ("relay:customers:42"). Problems are RFC 9457
// documents: 400 bad input (filter, body, missing reason), 404 unknown or malformed
// id, consumer, slot or operation, 409 dead letter already resolved or slot active
// (without force=true), 503 no broker. "by" defaults to "admin-api@<client address>";
// DELETE also takes by and reason as query parameters (a body wins). A scoped API sees
// only its context's replication slot.
//
// The API is for operators on the service's own port: the web front-end's gateway
// does not route /admin.
func Routes(r chi.Router, s Service) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	h := &handlers{a: New(s.Pool, s.JS, Options{Context: s.Schema, Consumers: s.Consumers, Republish: s.Republish, Log: log}), log: log}
	r.Route("/admin", func(r chi.Router) {
		r.Get("/dlq", h.list)
		r.Get("/dlq/{id}", h.get)
		r.Post("/dlq/{id}/requeue", h.requeue)
		r.Post("/dlq/{id}/skip", h.skip)
		r.Get("/status", h.status)
		r.Post("/replay", h.replay)
		r.Post("/republish", h.republish)
		r.Get("/slots", h.slots)
		r.Delete("/slots/{name}", h.dropSlot)
	})
}

// Handler is a router serving only Routes(s) (with problem documents for unknown
// paths), for an admin-only listener or tests.
func Handler(s Service) http.Handler {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		problem.Status(w, req, http.StatusNotFound, "no such resource")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		problem.Status(w, req, http.StatusMethodNotAllowed, "method not allowed on this resource")
	})
	Routes(r, s)
	return r
}

type handlers struct {
	a   *Admin
	log *slog.Logger
}

// fail answers err as a problem document.
func (h *handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrResolved), errors.Is(err, ErrSlotActive):
		status = http.StatusConflict
	case errors.Is(err, ErrNoBroker):
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "admin operation failed", "path", r.URL.Path, "err", err)
		problem.Status(w, r, status, "the operation failed; see the service's log")
		return
	}
	problem.Status(w, r, status, err.Error())
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{Kind: Kind(q.Get("kind")), Consumer: q.Get("consumer"), Type: q.Get("type"), Context: q.Get("context")}
	verr := &problem.ValidationError{}
	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{"olderThan", &f.OlderThan}, {"newerThan", &f.NewerThan}} {
		if v := q.Get(p.name); v != "" {
			d, err := ParseAge(v)
			if err != nil {
				verr.Add(p.name, err.Error())
				continue
			}
			*p.dst = d
		}
	}
	if v := q.Get("all"); v != "" {
		all, err := strconv.ParseBool(v)
		if err != nil {
			verr.Add("all", "must be true or false")
		}
		f.All = all
	}
	if err := verr.OrNil(); err != nil {
		problem.Validation(w, r, verr)
		return
	}
	items, err := h.a.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if items == nil {
		items = []DeadLetter{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// pathID parses the {id} of the path; a malformed id names nothing, so it is a 404.
func (h *handlers) pathID(w http.ResponseWriter, r *http.Request) (ID, bool) {
	id, err := ParseID(chi.URLParam(r, "id"))
	if err != nil {
		problem.Status(w, r, http.StatusNotFound, "no such dead letter: "+err.Error())
		return ID{}, false
	}
	return id, true
}

func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	d, err := h.a.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, d)
}

type resolveRequest struct {
	By     string `json:"by"`
	Note   string `json:"note"`
	Reason string `json:"reason"`
}

// decodeResolve reads the optional body of requeue and skip.
func decodeResolve(w http.ResponseWriter, r *http.Request) (resolveRequest, bool) {
	return decodeResolveOver(w, r, resolveRequest{})
}

// decodeResolveOver reads the optional body over in (its fields win) and defaults by.
func decodeResolveOver(w http.ResponseWriter, r *http.Request, in resolveRequest) (resolveRequest, bool) {
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(r, &in); err != nil {
			httpx.WriteDecodeError(w, r, err)
			return in, false
		}
	}
	if strings.TrimSpace(in.By) == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		in.By = "admin-api@" + host
	}
	return in, true
}

func (h *handlers) requeue(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	in, ok := decodeResolve(w, r)
	if !ok {
		return
	}
	out, err := h.a.Requeue(r.Context(), id, in.By, in.Note)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "dead letter requeued", "id", id.String(), "event_id", out.EventID, "by", in.By)
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *handlers) skip(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	in, ok := decodeResolve(w, r)
	if !ok {
		return
	}
	if strings.TrimSpace(in.Reason) == "" {
		problem.Validation(w, r, &problem.ValidationError{Fields: []problem.FieldError{
			{Field: "reason", Detail: "is required: say why the event may be given up"}}})
		return
	}
	out, err := h.a.Skip(r.Context(), id, in.By, in.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "dead letter skipped", "id", id.String(), "event_id", out.EventID, "by", in.By, "reason", in.Reason)
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *handlers) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.a.Status(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (h *handlers) replay(w http.ResponseWriter, r *http.Request) {
	var in ReplayRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteDecodeError(w, r, err)
		return
	}
	res, err := h.a.Replay(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "consumer rewound for a replay", "consumer", in.Consumer,
		"deliver_policy", res.DeliverPolicy, "pending", res.Pending)
	httpx.WriteJSON(w, http.StatusAccepted, res)
}

func (h *handlers) republish(w http.ResponseWriter, r *http.Request) {
	n, err := h.a.Republish(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "state republished", "events", n)
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"events": n})
}

func (h *handlers) slots(w http.ResponseWriter, r *http.Request) {
	items, err := h.a.Slots(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// dropSlot drops a replication slot; Admin.DropSlot logs who and why.
func (h *handlers) dropSlot(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var force bool
	if v := q.Get("force"); v != "" {
		f, err := strconv.ParseBool(v)
		if err != nil {
			problem.Validation(w, r, &problem.ValidationError{Fields: []problem.FieldError{
				{Field: "force", Detail: "must be true or false"}}})
			return
		}
		force = f
	}
	in, ok := decodeResolveOver(w, r, resolveRequest{By: q.Get("by"), Reason: q.Get("reason")})
	if !ok {
		return
	}
	if strings.TrimSpace(in.Reason) == "" {
		problem.Validation(w, r, &problem.ValidationError{Fields: []problem.FieldError{
			{Field: "reason", Detail: "is required: say why the replication slot may be dropped"}}})
		return
	}
	out, err := h.a.DropSlot(r.Context(), chi.URLParam(r, "name"), DropSlotRequest{By: in.By, Reason: in.Reason, Force: force})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
