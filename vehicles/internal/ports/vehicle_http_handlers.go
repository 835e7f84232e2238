// Package ports holds the vehicles context's driving ports: the HTTP API.
package ports

import (
	"log/slog"
	"net/http"

	"github.com/pitstop/pitstop/shared-go/precondition"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/vehicles/internal/application"
	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

// BasePath is where the vehicles API is mounted.
const BasePath = "/api/vehicles"

// HTTPHandlers serves the vehicles API:
//
//	POST /api/vehicles                          RegisterVehicle: 201 + Location, or 200 for
//	                                            an identical retry of the same licence
//	                                            number; 409 when it is taken by other data
//	GET  /api/vehicles?limit=&cursor=&ownerId=&q=&sort=
//	                                            one page {items, next?}; limit 1..200
//	                                            (default 50); ownerId filters by owner; q:
//	                                            substring of the licence number (any case),
//	                                            brand or type (ignoring case); sort:
//	                                            licenseNumber, -licenseNumber, brand, -brand
//	                                            (default: registration order)
//	GET  /api/vehicles/{licenseNumber}          one vehicle (licence number in any case),
//	                                            with its ETag
//	PUT  /api/vehicles/{licenseNumber}          UpdateVehicle (all fields), 200 with the
//	                                            vehicle and its new ETag; with If-Match, 412
//	                                            when the vehicle changed since (nothing
//	                                            stored); without, unconditional
//
// Every vehicle representation carries its version, which is also its strong ETag
// ("<version>") on single-vehicle answers.
// A {licenseNumber} that is not a valid licence number cannot name a vehicle and is
// answered 404, like any unknown one. Validation failures are 400 problem documents
// listing every invalid field; malformed JSON and wrong types are 400, oversized
// bodies 413, non-JSON content types 415. Nothing is stored by a rejected request.
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
	r.Get(BasePath+"/{licenseNumber}", h.get)
	r.Put(BasePath+"/{licenseNumber}", h.update)
}

// vehicleRequest is the body of POST and PUT. Unknown fields are ignored.
type vehicleRequest struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

func (v vehicleRequest) details() domain.Details {
	return domain.Details{Brand: v.Brand, Type: v.Type, OwnerID: v.OwnerID}
}

// vehicleResponse is the vehicle representation.
type vehicleResponse struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
	Version       int64  `json:"version"`
}

func toResponse(v domain.Vehicle, version int64) vehicleResponse {
	return vehicleResponse{LicenseNumber: v.LicenseNumber().String(), Brand: v.Brand(), Type: v.Type(),
		OwnerID: v.OwnerID().String(), Version: version}
}

type listResponse struct {
	Items []vehicleResponse `json:"items"`
	Next  string            `json:"next,omitempty"`
}

// location is the vehicle's address; licence numbers need no escaping.
func location(v domain.Vehicle) string { return BasePath + "/" + v.LicenseNumber().String() }

func (h *HTTPHandlers) register(w http.ResponseWriter, r *http.Request) {
	var req vehicleRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res, err := h.app.RegisterVehicle.Handle(r.Context(),
		application.RegisterVehicle{LicenseNumber: req.LicenseNumber, Details: req.details()})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("Location", location(res.Vehicle))
	w.Header().Set("ETag", precondition.ETag(res.Version))
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, toResponse(res.Vehicle, res.Version))
}

func (h *HTTPHandlers) update(w http.ResponseWriter, r *http.Request) {
	l := chi.URLParam(r, "licenseNumber")
	// An address that cannot name a vehicle is 404 before the body is looked at,
	// as for any unknown vehicle.
	if _, err := domain.NewLicenseNumber(l); err != nil {
		h.errs.Respond(w, r, domain.ErrVehicleNotFound)
		return
	}
	var req vehicleRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	pre, err := precondition.FromRequest(r)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	v, err := h.app.UpdateVehicle.Handle(r.Context(), application.UpdateVehicle{
		LicenseNumber: l, RepeatedLicenseNumber: req.LicenseNumber, Details: req.details(), Precondition: pre})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("ETag", precondition.ETag(v.Version))
	httpx.WriteJSON(w, http.StatusOK, toResponse(v.Vehicle, v.Version))
}

func (h *HTTPHandlers) get(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.GetVehicle.Handle(r.Context(), chi.URLParam(r, "licenseNumber"))
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	w.Header().Set("ETag", precondition.ETag(v.Version))
	httpx.WriteJSON(w, http.StatusOK, toResponse(v.Vehicle, v.Version))
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	page, err := h.app.ListVehicles.Handle(r.Context(), application.ListVehicles{
		Limit: qs.Get("limit"), Cursor: qs.Get("cursor"), OwnerID: qs.Get("ownerId"),
		Q: qs.Get(application.ParamQ), Sort: qs.Get(application.ParamSort)})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res := listResponse{Items: make([]vehicleResponse, 0, len(page.Items)), Next: page.Next}
	for _, v := range page.Items {
		res.Items = append(res.Items, toResponse(v.Vehicle, v.Version))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// errorResponses maps the vehicles context's own errors; problem.Translator does the
// rest (decode and field errors, paging, 499, 500).
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("vehicles", log,
		problem.Field(application.ErrInvalidOwnerFilter, "ownerId", "must be a UUID"),
		problem.Field(precondition.ErrMalformed, precondition.Header, `must be * or a list of entity tags such as "3"`),
		problem.Is(domain.ErrVehicleNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "vehicle not found"}),
		problem.Is(application.ErrStaleVehicle, problem.Problem{
			Type:   "https://pitstop.example/problems/stale-vehicle",
			Title:  "Vehicle changed since it was read",
			Status: http.StatusPreconditionFailed,
			Detail: "someone else changed this vehicle since you read it (If-Match names an older version); " +
				"nothing was stored: read it again, reapply your change and send it with the new ETag",
		}),
		problem.Is(domain.ErrVehicleConflict, problem.Problem{
			Type:   "https://pitstop.example/problems/license-number-conflict",
			Title:  "Licence number already registered",
			Status: http.StatusConflict,
		}),
	)
}
