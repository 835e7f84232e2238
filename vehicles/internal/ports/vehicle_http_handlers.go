// Package ports holds the vehicles context's driving ports: the HTTP API.
package ports

import (
	"log/slog"
	"net/http"

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
//	GET  /api/vehicles?limit=&cursor=&ownerId=  one page {items, next?}; limit 1..200
//	                                            (default 50); ownerId filters by owner
//	GET  /api/vehicles/{licenseNumber}          one vehicle (licence number in any case)
//	PUT  /api/vehicles/{licenseNumber}          UpdateVehicle (all fields), 200 with the vehicle
//
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
}

func toResponse(v domain.Vehicle) vehicleResponse {
	return vehicleResponse{LicenseNumber: v.LicenseNumber().String(), Brand: v.Brand(), Type: v.Type(),
		OwnerID: v.OwnerID().String()}
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
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, toResponse(res.Vehicle))
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
	v, err := h.app.UpdateVehicle.Handle(r.Context(), application.UpdateVehicle{
		LicenseNumber: l, RepeatedLicenseNumber: req.LicenseNumber, Details: req.details()})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toResponse(v))
}

func (h *HTTPHandlers) get(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.GetVehicle.Handle(r.Context(), chi.URLParam(r, "licenseNumber"))
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toResponse(v))
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	page, err := h.app.ListVehicles.Handle(r.Context(), application.ListVehicles{
		Limit: qs.Get("limit"), Cursor: qs.Get("cursor"), OwnerID: qs.Get("ownerId")})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res := listResponse{Items: make([]vehicleResponse, 0, len(page.Items)), Next: page.Next}
	for _, v := range page.Items {
		res.Items = append(res.Items, toResponse(v.Vehicle))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// errorResponses maps the vehicles context's own errors; problem.Translator does the
// rest (decode and field errors, paging, 499, 500).
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("vehicles", log,
		problem.Field(application.ErrInvalidOwnerFilter, "ownerId", "must be a UUID"),
		problem.Is(domain.ErrVehicleNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "vehicle not found"}),
		problem.Is(domain.ErrVehicleConflict, problem.Problem{
			Type:   "https://pitstop.example/problems/license-number-conflict",
			Title:  "Licence number already registered",
			Status: http.StatusConflict,
		}),
	)
}
