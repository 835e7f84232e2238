package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const vehiclesService = "vehicles"

// vehicleFieldMap maps the vehicles API's field names to the form's.
var vehicleFieldMap = identity("licenseNumber", "brand", "type", "ownerId")

// maxOptions bounds the entries of a select (owners, vehicles).
const maxOptions = 1000

// vehicleView is a vehicle with its owner's name ("" when unknown).
type vehicleView struct {
	apiclient.Vehicle
	OwnerName string
}

type vehiclesData struct {
	Layout
	Vehicles []vehicleView
	Next     string
	Paged    bool
}

// ownerNames looks up the names of the vehicles' owners; an owner that cannot be
// found (or the customers service being down) leaves the name empty.
func (h *Handlers) ownerNames(ctx context.Context, vs []apiclient.Vehicle) map[string]string {
	ids := make([]string, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.OwnerID)
	}
	names, _ := h.customerNames(ctx, ids)
	return names
}

// customerNames looks up the names of the customers ids, concurrently (at most 8
// requests at a time, each id once). A customer that cannot be found has no entry;
// unavailable reports that some could not be looked up because the customers service
// is down.
func (h *Handlers) customerNames(ctx context.Context, ids []string) (names map[string]string, unavailable bool) {
	unique := map[string]bool{}
	for _, id := range ids {
		if id != "" {
			unique[id] = true
		}
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	names = map[string]string{}
	for id := range unique {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := h.Customers.Get(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				names[id] = c.Name
			case errors.Is(err, apiclient.ErrUnavailable):
				unavailable = true
			}
		})
	}
	wg.Wait()
	return names, unavailable
}

func (h *Handlers) listVehicles(w http.ResponseWriter, r *http.Request) {
	cursor := r.URL.Query().Get("cursor")
	page, err := h.Vehicles.List(r.Context(), cursor, "", 25)
	if err != nil {
		if apiclient.IsStatus(err, http.StatusBadRequest) {
			seeOther(w, r, "/vehicles")
			return
		}
		h.fail(w, r, "vehicles", vehiclesService, "vehicle list", err)
		return
	}
	names := h.ownerNames(r.Context(), page.Items)
	d := vehiclesData{Layout: Layout{Title: "Vehicles", Nav: "vehicles"}, Next: page.Next, Paged: cursor != ""}
	for _, v := range page.Items {
		d.Vehicles = append(d.Vehicles, vehicleView{Vehicle: v, OwnerName: names[v.OwnerID]})
	}
	h.render(w, r, http.StatusOK, "vehicles.html", d)
}

type vehicleData struct {
	Layout
	Vehicle vehicleView
	// OwnerProblem explains a missing owner name.
	OwnerProblem string
}

func (h *Handlers) showVehicle(w http.ResponseWriter, r *http.Request) {
	v, err := h.Vehicles.Get(r.Context(), chi.URLParam(r, "licenseNumber"))
	if err != nil {
		h.fail(w, r, "vehicles", vehiclesService, "vehicle", err)
		return
	}
	d := vehicleData{Layout: Layout{Title: v.LicenseNumber, Nav: "vehicles"}, Vehicle: vehicleView{Vehicle: v}}
	switch c, err := h.Customers.Get(r.Context(), v.OwnerID); {
	case err == nil:
		d.Vehicle.OwnerName = c.Name
	case apiclient.IsStatus(err, http.StatusNotFound):
		d.OwnerProblem = "The owner is not a registered customer."
	default:
		h.Log.WarnContext(r.Context(), "owner of vehicle", "err", err)
		d.OwnerProblem = "The customers service is offline, so the owner's name cannot be shown; try again soon."
	}
	h.render(w, r, http.StatusOK, "vehicle.html", d)
}

// option is one entry of a select.
type option struct {
	Value, Label string
}

type vehicleFormData struct {
	Layout
	Form   *Form
	Owners []option
}

// ownerOptions lists the customers as owners, by name.
func (h *Handlers) ownerOptions(ctx context.Context) ([]option, error) {
	cs, err := h.Customers.All(ctx, maxOptions)
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(cs))
	for _, c := range cs {
		out = append(out, option{Value: c.CustomerID, Label: c.Name + " (" + c.City + ")"})
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Label) < strings.ToLower(out[j].Label) })
	return out, nil
}

func (h *Handlers) newVehicle(w http.ResponseWriter, r *http.Request) {
	owners, err := h.ownerOptions(r.Context())
	if err != nil {
		// Without the customers there is no owner to choose.
		h.fail(w, r, "vehicles", customersService, "customer list", err)
		return
	}
	f := newForm(url.Values{"ownerId": {r.URL.Query().Get("ownerId")}})
	h.render(w, r, http.StatusOK, "vehicle_form.html", vehicleFormData{
		Layout: Layout{Title: "Register vehicle", Nav: "vehicles"}, Form: f, Owners: owners})
}

func (h *Handlers) registerVehicle(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := apiclient.Vehicle{LicenseNumber: f.trimmed("licenseNumber"), Brand: f.Get("brand"), Type: f.Get("type"),
		OwnerID: f.trimmed("ownerId")}
	// The licence number is the vehicle's id: submitting the same form again is a no-op.
	v, err := h.Vehicles.Register(r.Context(), in)
	if err == nil {
		seeOther(w, r, "/vehicles/"+url.PathEscape(v.LicenseNumber))
		return
	}
	var status int
	if apiclient.IsStatus(err, http.StatusConflict) {
		f.Fail("licenseNumber", "is already registered for another vehicle or owner")
		status = http.StatusConflict
	} else {
		status = h.formFailed(r, f, vehiclesService, err, vehicleFieldMap)
	}
	owners, oerr := h.ownerOptions(r.Context())
	if oerr != nil && in.OwnerID != "" {
		owners = []option{{Value: in.OwnerID, Label: in.OwnerID}}
	}
	h.render(w, r, status, "vehicle_form.html", vehicleFormData{
		Layout: Layout{Title: "Register vehicle", Nav: "vehicles"}, Form: f, Owners: owners})
}
