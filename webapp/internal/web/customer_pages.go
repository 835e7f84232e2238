package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const customersService = "customers"

// customerFields are the form fields of a customer, named as in the API.
var customerFields = []string{"name", "address", "postalCode", "city", "telephoneNumber", "emailAddress"}

// customerFieldMap maps the API's field names to the form's.
var customerFieldMap = identity(customerFields...)

type customersData struct {
	Layout
	Customers []apiclient.Customer
	Query     searchQuery
	Pager     pagerLinks
}

func (h *Handlers) listCustomers(w http.ResponseWriter, r *http.Request) {
	q := readSearchQuery(r, "/customers", []string{"name", "city", "customerId"}, "q", "city")
	cursor := r.URL.Query().Get("cursor")
	page, err := h.Customers.Search(r.Context(), apiclient.CustomerQuery{Q: q.Get("q"), City: q.Get("city"), Sort: q.Sort}, cursor, 25)
	if err != nil {
		if apiclient.IsStatus(err, http.StatusBadRequest) { // a stale or edited cursor: start over
			seeOther(w, r, q.url(q.Sort, ""))
			return
		}
		h.fail(w, r, "customers", customersService, "customer list", err)
		return
	}
	h.render(w, r, http.StatusOK, "customers.html", customersData{Layout: Layout{Title: "Customers", Nav: "customers"},
		Customers: page.Items, Query: q, Pager: q.pagerTo(cursor, page.Next)})
}

type customerData struct {
	Layout
	Customer apiclient.Customer
	Vehicles []apiclient.Vehicle
	// VehiclesOffline is set when the vehicles could not be listed.
	VehiclesOffline string
	History         maintenanceHistory
}

func (h *Handlers) showCustomer(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	c, err := h.Customers.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, "customers", customersService, "customer", err)
		return
	}
	d := customerData{Layout: Layout{Title: c.Name, Nav: "customers"}, Customer: c}
	// The customer's vehicles come from another service; without it the page still works.
	if page, err := h.Vehicles.List(r.Context(), "", c.CustomerID, 200); err != nil {
		h.Log.WarnContext(r.Context(), "vehicles of customer", "err", err)
		d.VehiclesOffline = "The vehicles service is offline, so this customer's vehicles cannot be shown; try again soon."
	} else {
		d.Vehicles = page.Items
	}
	d.History = h.history(r.Context(), apiclient.HistoryQuery{CustomerID: c.CustomerID},
		"/customers/"+url.PathEscape(c.CustomerID), r.URL.Query().Get("history"))
	h.render(w, r, http.StatusOK, "customer.html", d)
}

type customerFormData struct {
	Layout
	Form *Form
	// Action is where the form posts; Edit is set for an update.
	Action string
	Edit   bool
}

func (h *Handlers) newCustomer(w http.ResponseWriter, r *http.Request) {
	f := newForm(nil)
	// The id is fixed now, once per form: submitting the form again (a retry, a
	// double click, the back button) registers this same customer, not a second one.
	f.Set("customerId", uuid.NewString())
	h.renderCustomerForm(w, r, http.StatusOK, f, false)
}

func (h *Handlers) renderCustomerForm(w http.ResponseWriter, r *http.Request, status int, f *Form, edit bool) {
	d := customerFormData{Layout: Layout{Title: "Register customer", Nav: "customers"}, Form: f, Action: "/customers"}
	if edit {
		d.Title, d.Edit, d.Action = "Edit customer", true, "/customers/"+url.PathEscape(f.Get("customerId"))
	}
	h.render(w, r, status, "customer_form.html", d)
}

func customerOf(f *Form) apiclient.Customer {
	return apiclient.Customer{CustomerID: f.trimmed("customerId"), Name: f.Get("name"), Address: f.Get("address"),
		PostalCode: f.Get("postalCode"), City: f.Get("city"), TelephoneNumber: f.Get("telephoneNumber"),
		EmailAddress: f.Get("emailAddress"), Version: atoi(f.trimmed("version"))}
}

// atoi is s as a number (0 when it is none).
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// customerValues are the edit form's values of c, with the version it was read at.
func customerValues(c apiclient.Customer) url.Values {
	return url.Values{"customerId": {c.CustomerID}, "name": {c.Name}, "address": {c.Address},
		"postalCode": {c.PostalCode}, "city": {c.City}, "telephoneNumber": {c.TelephoneNumber},
		"emailAddress": {c.EmailAddress}, "version": {strconv.Itoa(c.Version)}}
}

func (h *Handlers) registerCustomer(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	if _, err := uuid.Parse(f.trimmed("customerId")); err != nil {
		// A form without its id (or with a tampered one): give it a fresh one and let
		// the user confirm, rather than guess whether this is a repeat.
		f.Set("customerId", uuid.NewString())
		f.FailGeneral("The form was incomplete; please check the data and submit again.")
		h.renderCustomerForm(w, r, http.StatusBadRequest, f, false)
		return
	}
	c, err := h.Customers.Register(r.Context(), customerOf(f))
	if err != nil {
		if apiclient.IsStatus(err, http.StatusConflict) {
			f.General = nil
			f.FailGeneral("This form was already submitted with other data: the customer exists. " +
				"Open the customer to change it.")
			h.renderCustomerForm(w, r, http.StatusConflict, f, false)
			return
		}
		h.renderCustomerForm(w, r, h.formFailed(r, f, customersService, err, customerFieldMap), f, false)
		return
	}
	seeOther(w, r, "/customers/"+url.PathEscape(c.CustomerID))
}

func (h *Handlers) editCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := h.Customers.Get(r.Context(), chi.URLParam(r, "customerId"))
	if err != nil {
		h.fail(w, r, "customers", customersService, "customer", err)
		return
	}
	h.renderCustomerForm(w, r, http.StatusOK, newForm(customerValues(c)), true)
}

func (h *Handlers) updateCustomer(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	id := chi.URLParam(r, "customerId")
	f.Set("customerId", id) // the path names the customer, not the body
	c, err := h.Customers.Update(r.Context(), customerOf(f))
	if err != nil {
		if apiclient.IsStatus(err, http.StatusNotFound) {
			h.fail(w, r, "customers", customersService, "customer", err)
			return
		}
		if apiclient.IsStatus(err, http.StatusPreconditionFailed) {
			cur, gerr := h.Customers.Get(r.Context(), id)
			if gerr != nil {
				h.fail(w, r, "customers", customersService, "customer", gerr)
				return
			}
			nf := newForm(customerValues(cur))
			nf.FailGeneral(staleMessage("customer"))
			h.renderCustomerForm(w, r, http.StatusPreconditionFailed, nf, true)
			return
		}
		h.renderCustomerForm(w, r, h.formFailed(r, f, customersService, err, customerFieldMap), f, true)
		return
	}
	seeOther(w, r, "/customers/"+url.PathEscape(c.CustomerID))
}
