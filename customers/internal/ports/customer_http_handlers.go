// Package ports holds the customers context's driving ports: the HTTP API.
package ports

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// BasePath is where the customers API is mounted.
const BasePath = "/api/customers"

// HTTPHandlers serves the customers API:
//
//	POST /api/customers                 RegisterCustomer: 201 + Location, or 200 for an
//	                                    identical retry with the same customerId; 409 when
//	                                    the id is taken by different data
//	GET  /api/customers?limit=&cursor=  one page {items, next?}; limit 1..200 (default 50)
//	GET  /api/customers/{customerId}    one customer
//	PUT  /api/customers/{customerId}    UpdateCustomer (all fields), 200 with the customer
//
// A {customerId} that is not a UUID cannot name a customer and is answered 404, like
// any unknown id. Validation failures are 400 problem documents listing every invalid
// field; malformed JSON and wrong types are 400, oversized bodies 413, non-JSON
// content types 415. Nothing is stored by a rejected request.
type HTTPHandlers struct {
	app application.Application
	log *slog.Logger
}

// NewHTTPHandlers returns the handlers of app; log receives internal errors.
func NewHTTPHandlers(app application.Application, log *slog.Logger) *HTTPHandlers {
	if log == nil {
		log = slog.Default()
	}
	return &HTTPHandlers{app: app, log: log}
}

// Routes mounts the API on r.
func (h *HTTPHandlers) Routes(r chi.Router) {
	r.Post(BasePath, h.register)
	r.Get(BasePath, h.list)
	r.Get(BasePath+"/{customerId}", h.get)
	r.Put(BasePath+"/{customerId}", h.update)
}

// customerRequest is the body of POST and PUT. Unknown fields are ignored.
type customerRequest struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

func (c customerRequest) details() domain.Details {
	return domain.Details{Name: c.Name, Address: c.Address, PostalCode: c.PostalCode, City: c.City,
		TelephoneNumber: c.TelephoneNumber, EmailAddress: c.EmailAddress}
}

// customerResponse is the customer representation.
type customerResponse struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

func toResponse(c domain.Customer) customerResponse {
	return customerResponse{CustomerID: c.ID().String(), Name: c.Name(), Address: c.Address(),
		PostalCode: c.PostalCode(), City: c.City(), TelephoneNumber: c.TelephoneNumber(), EmailAddress: c.EmailAddress()}
}

type listResponse struct {
	Items []customerResponse `json:"items"`
	Next  string             `json:"next,omitempty"`
}

func location(c domain.Customer) string { return BasePath + "/" + c.ID().String() }

func (h *HTTPHandlers) register(w http.ResponseWriter, r *http.Request) {
	var req customerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.WriteDecodeError(w, r, err)
		return
	}
	res, err := h.app.RegisterCustomer.Handle(r.Context(),
		application.RegisterCustomer{CustomerID: req.CustomerID, Details: req.details()})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", location(res.Customer))
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, toResponse(res.Customer))
}

func (h *HTTPHandlers) update(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, domain.ErrCustomerNotFound)
		return
	}
	var req customerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.WriteDecodeError(w, r, err)
		return
	}
	c, err := h.app.UpdateCustomer.Handle(r.Context(), application.UpdateCustomer{
		CustomerID: id, RepeatedCustomerID: req.CustomerID, Details: req.details()})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toResponse(c))
}

func (h *HTTPHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, domain.ErrCustomerNotFound)
		return
	}
	c, err := h.app.GetCustomer.Handle(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toResponse(c))
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	page, err := h.app.ListCustomers.Handle(r.Context(),
		application.ListCustomers{Limit: qs.Get("limit"), Cursor: qs.Get("cursor")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := listResponse{Items: make([]customerResponse, 0, len(page.Items)), Next: page.Next}
	for _, c := range page.Items {
		res.Items = append(res.Items, toResponse(c.Customer))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// pathID parses {customerId}; ok is false when it is not a UUID.
func pathID(r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "customerId"))
	return id, err == nil
}

// statusClientClosedRequest answers a request whose client went away (never read).
const statusClientClosedRequest = 499

// fail translates an error from the application into a problem document. It is the
// one place where this port maps errors to HTTP statuses.
func (h *HTTPHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	var verr *domain.ValidationError
	switch {
	case errors.As(err, &verr):
		pv := &problem.ValidationError{}
		for _, f := range verr.Fields {
			pv.Add(f.Field, f.Detail)
		}
		problem.Validation(w, r, pv)
	case errors.Is(err, domain.ErrCustomerNotFound):
		problem.Status(w, r, http.StatusNotFound, "customer not found")
	case errors.Is(err, domain.ErrCustomerConflict):
		problem.Write(w, r, problem.Problem{
			Type:   "https://pitstop.example/problems/customer-id-conflict",
			Title:  "Customer id already in use",
			Status: http.StatusConflict,
			Detail: domain.ErrCustomerConflict.Error(),
		})
	case errors.Is(err, paging.ErrInvalidLimit):
		pv := &problem.ValidationError{}
		pv.Add("limit", paging.ErrInvalidLimit.Error())
		problem.Validation(w, r, pv)
	case errors.Is(err, paging.ErrInvalidCursor):
		pv := &problem.ValidationError{}
		pv.Add("cursor", "is not a cursor handed out by this API")
		problem.Validation(w, r, pv)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		problem.Write(w, r, problem.Problem{Status: statusClientClosedRequest, Title: "Client Closed Request"})
	default:
		h.log.ErrorContext(r.Context(), "customers request failed", "err", err,
			"request_id", middleware.GetReqID(r.Context()), "method", r.Method, "path", r.URL.Path)
		problem.Status(w, r, http.StatusInternalServerError, "internal error")
	}
}
