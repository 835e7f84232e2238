// Package ports holds the customers context's driving ports: the HTTP API.
package ports

import (
	"log/slog"
	"net/http"

	"github.com/pitstop/pitstop/shared-go/precondition"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// BasePath is where the customers API is mounted.
const BasePath = "/api/customers"

// HTTPHandlers serves the customers API:
//
//	POST /api/customers                 RegisterCustomer: 201 + Location, or 200 for an
//	                                    identical retry with the same customerId; 409 when
//	                                    the id is taken by different data
//	GET  /api/customers?limit=&cursor=&q=&city=&sort=
//	                                    one page {items, next?}; limit 1..200 (default 50);
//	                                    q: substring of name or e-mail, city: prefix of the
//	                                    city (both ignoring case); sort: name, -name, city,
//	                                    -city, customerId, -customerId (default: registration
//	                                    order)
//	GET  /api/customers/{customerId}    one customer, with its ETag
//	PUT  /api/customers/{customerId}    UpdateCustomer (all fields), 200 with the customer
//	                                    and its new ETag; with If-Match, 412 when the
//	                                    customer changed since (nothing stored); without,
//	                                    unconditional
//
// Every customer representation carries its version, which is also its strong ETag
// ("<version>") on single-customer answers.
// A {customerId} that is not a UUID cannot name a customer and is answered 404, like
// any unknown id. Validation failures are 400 problem documents listing every invalid
// field; malformed JSON and wrong types are 400, oversized bodies 413, non-JSON
// content types 415. Nothing is stored by a rejected request.
type HTTPHandlers struct {
	app  application.Application
	errs *problem.Translator
}

// NewHTTPHandlers returns the handlers of app; log receives internal errors.
func NewHTTPHandlers(app application.Application, log *slog.Logger) *HTTPHandlers {
	return &HTTPHandlers{app: app, errs: errorResponses(log)}
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
	Version         int64  `json:"version"`
}

func toResponse(c domain.Customer, version int64) customerResponse {
	return customerResponse{CustomerID: c.ID().String(), Name: c.Name(), Address: c.Address(),
		PostalCode: c.PostalCode(), City: c.City(), TelephoneNumber: c.TelephoneNumber(), EmailAddress: c.EmailAddress(),
		Version: version}
}

type listResponse struct {
	Items []customerResponse `json:"items"`
	Next  string             `json:"next,omitempty"`
}

func location(c domain.Customer) string { return BasePath + "/" + c.ID().String() }

func (h *HTTPHandlers) register(w http.ResponseWriter, r *http.Request) {
	var req customerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res, err := h.app.RegisterCustomer.Handle(r.Context(),
		application.RegisterCustomer{CustomerID: req.CustomerID, Details: req.details()})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("Location", location(res.Customer))
	w.Header().Set("ETag", precondition.ETag(res.Version))
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, toResponse(res.Customer, res.Version))
}

func (h *HTTPHandlers) update(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.errs.Respond(w, r, domain.ErrCustomerNotFound)
		return
	}
	var req customerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	pre, err := precondition.FromRequest(r)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	c, err := h.app.UpdateCustomer.Handle(r.Context(), application.UpdateCustomer{
		CustomerID: id, RepeatedCustomerID: req.CustomerID, Details: req.details(), Precondition: pre})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("ETag", precondition.ETag(c.Version))
	httpx.WriteJSON(w, http.StatusOK, toResponse(c.Customer, c.Version))
}

func (h *HTTPHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.errs.Respond(w, r, domain.ErrCustomerNotFound)
		return
	}
	c, err := h.app.GetCustomer.Handle(r.Context(), id)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("ETag", precondition.ETag(c.Version))
	httpx.WriteJSON(w, http.StatusOK, toResponse(c.Customer, c.Version))
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	page, err := h.app.ListCustomers.Handle(r.Context(), application.ListCustomers{
		Limit: qs.Get("limit"), Cursor: qs.Get("cursor"),
		Q: qs.Get(application.ParamQ), City: qs.Get(application.ParamCity), Sort: qs.Get(application.ParamSort)})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res := listResponse{Items: make([]customerResponse, 0, len(page.Items)), Next: page.Next}
	for _, c := range page.Items {
		res.Items = append(res.Items, toResponse(c.Customer, c.Version))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// pathID parses {customerId}; ok is false when it is not a UUID.
func pathID(r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "customerId"))
	return id, err == nil
}

// errorResponses maps the customers context's own errors; problem.Translator does
// the rest (decode and field errors, paging, 499, 500).
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("customers", log,
		problem.Field(precondition.ErrMalformed, precondition.Header, `must be * or a list of entity tags such as "3"`),
		problem.Is(domain.ErrCustomerNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "customer not found"}),
		problem.Is(application.ErrStaleCustomer, problem.Problem{
			Type:   "https://pitstop.example/problems/stale-customer",
			Title:  "Customer changed since it was read",
			Status: http.StatusPreconditionFailed,
			Detail: "someone else changed this customer since you read it (If-Match names an older version); " +
				"nothing was stored: read it again, reapply your change and send it with the new ETag",
		}),
		problem.Is(domain.ErrCustomerConflict, problem.Problem{
			Type:   "https://pitstop.example/problems/customer-id-conflict",
			Title:  "Customer id already in use",
			Status: http.StatusConflict,
		}),
	)
}
