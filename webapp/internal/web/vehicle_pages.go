package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const vehiclesService = "vehicles"

// vehicleFieldMap maps the vehicles API's field names to the form's.
var vehicleFieldMap = identity("licenseNumber", "brand", "type", "ownerId")

// vehicleView is a vehicle with its owner's name ("" when unknown).
type vehicleView struct {
	apiclient.Vehicle
	OwnerName string
}

type vehiclesData struct {
	Layout
	Vehicles []vehicleView
	Query    searchQuery
	Pager    pagerLinks
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
	q := readSearchQuery(r, "/vehicles", []string{"licenseNumber", "brand"}, "q")
	cursor := r.URL.Query().Get("cursor")
	page, err := h.Vehicles.Search(r.Context(), apiclient.VehicleQuery{Q: q.Get("q"), Sort: q.Sort}, cursor, 25)
	if err != nil {
		if apiclient.IsStatus(err, http.StatusBadRequest) {
			seeOther(w, r, q.url(q.Sort, ""))
			return
		}
		h.fail(w, r, "vehicles", vehiclesService, "vehicle list", err)
		return
	}
	names := h.ownerNames(r.Context(), page.Items)
	d := vehiclesData{Layout: Layout{Title: "Vehicles", Nav: "vehicles"}, Query: q, Pager: q.pagerTo(cursor, page.Next)}
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
	History      maintenanceHistory
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
	d.History = h.history(r.Context(), apiclient.HistoryQuery{LicenseNumber: v.LicenseNumber},
		"/vehicles/"+url.PathEscape(v.LicenseNumber), r.URL.Query().Get("history"))
	h.render(w, r, http.StatusOK, "vehicle.html", d)
}

// option is one entry of a picker's list.
type option struct {
	Value, Label string
}

type vehicleFormData struct {
	Layout
	Form   *Form
	Owners []option
	// Edit is set for the edit form of an existing vehicle.
	Edit bool
}

// OwnerPicker is the owner's type-ahead picker.
func (d vehicleFormData) OwnerPicker() pickerView {
	return newPicker(d.Form, "ownerId", "Owner", "/pick/customers", d.Owners)
}

// pickerOptions bounds the entries a picker's list offers before the user types.
const pickerOptions = 50

func customerLabel(c apiclient.Customer) string { return c.Name + " (" + c.City + ")" }

// ownerOptions are the owners a vehicle form's picker offers before the user types
// (the first customers by name, and the chosen owner); the picker asks /pick/customers
// for the others as the user types.
func (h *Handlers) ownerOptions(ctx context.Context, chosen string) ([]option, error) {
	page, err := h.Customers.Search(ctx, apiclient.CustomerQuery{Sort: "name"}, "", pickerOptions)
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(page.Items)+1)
	found := chosen == ""
	for _, c := range page.Items {
		out = append(out, option{Value: c.CustomerID, Label: customerLabel(c)})
		found = found || c.CustomerID == chosen
	}
	if !found {
		if c, err := h.Customers.Get(ctx, chosen); err == nil {
			out = append([]option{{Value: c.CustomerID, Label: customerLabel(c)}}, out...)
		}
	}
	return out, nil
}

func (h *Handlers) newVehicle(w http.ResponseWriter, r *http.Request) {
	chosen := r.URL.Query().Get("ownerId")
	owners, err := h.ownerOptions(r.Context(), chosen)
	if err != nil {
		// Without the customers there is no owner to choose.
		h.fail(w, r, "vehicles", customersService, "customer list", err)
		return
	}
	f := newForm(url.Values{"ownerId": {chosen}})
	h.render(w, r, http.StatusOK, "vehicle_form.html", vehicleFormData{
		Layout: Layout{Title: "Register vehicle", Nav: "vehicles"}, Form: f, Owners: owners})
}

// renderVehicleForm re-renders a submitted vehicle form with status.
func (h *Handlers) renderVehicleForm(w http.ResponseWriter, r *http.Request, status int, f *Form, edit bool) {
	owner := f.trimmed("ownerId")
	owners, err := h.ownerOptions(r.Context(), owner)
	if err != nil && owner != "" {
		owners = []option{{Value: owner, Label: owner}}
	}
	d := vehicleFormData{Layout: Layout{Title: "Register vehicle", Nav: "vehicles"}, Form: f, Owners: owners, Edit: edit}
	if edit {
		d.Title = "Edit vehicle " + f.Get("licenseNumber")
	}
	h.render(w, r, status, "vehicle_form.html", d)
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
	h.renderVehicleForm(w, r, status, f, false)
}

// vehicleValues are the edit form's values of v, with the version it was read at.
func vehicleValues(v apiclient.Vehicle) url.Values {
	return url.Values{"licenseNumber": {v.LicenseNumber}, "brand": {v.Brand}, "type": {v.Type},
		"ownerId": {v.OwnerID}, "version": {strconv.Itoa(v.Version)}}
}

func (h *Handlers) editVehicle(w http.ResponseWriter, r *http.Request) {
	v, err := h.Vehicles.Get(r.Context(), chi.URLParam(r, "licenseNumber"))
	if err != nil {
		h.fail(w, r, "vehicles", vehiclesService, "vehicle", err)
		return
	}
	h.renderVehicleForm(w, r, http.StatusOK, newForm(vehicleValues(v)), true)
}

// staleMessage is what an edit form says when its record changed since it was opened.
func staleMessage(what string) string {
	return "This " + what + " was changed by someone else since you opened the form; here are the current values — reapply your change."
}

func (h *Handlers) updateVehicle(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	f.Set("licenseNumber", chi.URLParam(r, "licenseNumber")) // the path names the vehicle, not the body
	version, _ := strconv.Atoi(f.trimmed("version"))
	in := apiclient.Vehicle{LicenseNumber: f.Get("licenseNumber"), Brand: f.Get("brand"), Type: f.Get("type"),
		OwnerID: f.trimmed("ownerId"), Version: version}
	v, err := h.Vehicles.Update(r.Context(), in)
	switch {
	case err == nil:
		seeOther(w, r, "/vehicles/"+url.PathEscape(v.LicenseNumber))
		return
	case apiclient.IsStatus(err, http.StatusNotFound):
		h.fail(w, r, "vehicles", vehiclesService, "vehicle", err)
		return
	case apiclient.IsStatus(err, http.StatusPreconditionFailed):
		cur, gerr := h.Vehicles.Get(r.Context(), in.LicenseNumber)
		if gerr != nil {
			h.fail(w, r, "vehicles", vehiclesService, "vehicle", gerr)
			return
		}
		nf := newForm(vehicleValues(cur))
		nf.FailGeneral(staleMessage("vehicle"))
		h.renderVehicleForm(w, r, http.StatusPreconditionFailed, nf, true)
		return
	}
	h.renderVehicleForm(w, r, h.formFailed(r, f, vehiclesService, err, vehicleFieldMap), f, true)
}
