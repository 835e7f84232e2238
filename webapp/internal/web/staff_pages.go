package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/validation"
	accounts "github.com/pitstop/pitstop/webapp/internal/identity"
)

// staffData is the data of staff.html.
type staffData struct {
	Layout
	Staff      []staffView
	Clients    []accounts.Client
	StaffForm  *Form
	ClientForm *Form
	Roles      []roleOption
	// NewClient and Secret show a client's secret once, right after adding it.
	NewClient string
	Secret    string
}

type staffView struct {
	accounts.Staff
	RoleName string
	Self     bool
}

type roleOption struct{ Value, Label string }

func roleOptions() []roleOption {
	out := make([]roleOption, len(auth.Roles))
	for i, r := range auth.Roles {
		out[i] = roleOption{Value: string(r), Label: roleName(r)}
	}
	return out
}

func (h *Handlers) renderStaff(w http.ResponseWriter, r *http.Request, status int, d staffData) {
	staff, err := h.Identity.ListStaff(r.Context())
	if err != nil {
		h.internalError(w, r, "list staff", err)
		return
	}
	clients, err := h.Identity.ListClients(r.Context())
	if err != nil {
		h.internalError(w, r, "list clients", err)
		return
	}
	me := viewerFrom(r.Context()).UserName
	for _, s := range staff {
		d.Staff = append(d.Staff, staffView{Staff: s, RoleName: roleName(s.Role), Self: s.UserName == me})
	}
	d.Clients = clients
	d.Layout = Layout{Title: "Staff and API clients", Nav: "staff"}
	d.Roles = roleOptions()
	if d.StaffForm == nil {
		d.StaffForm = newForm(nil)
	}
	if d.ClientForm == nil {
		d.ClientForm = newForm(nil)
	}
	h.render(w, r, status, "staff.html", d)
}

func (h *Handlers) staffPage(w http.ResponseWriter, r *http.Request) {
	h.renderStaff(w, r, http.StatusOK, staffData{})
}

// fieldErrors shows a *validation.Error's fields on f (fields maps the store's field
// names to the form's); false when err is none.
func (h *Handlers) fieldErrors(f *Form, err error, fields map[string]string) bool {
	var v *validation.Error
	if !errors.As(err, &v) {
		return false
	}
	for _, fe := range v.Fields {
		if name, ok := fields[fe.Field]; ok {
			f.Fail(name, fe.Detail)
		} else {
			f.FailGeneral(fe.Field + " " + fe.Detail)
		}
	}
	return true
}

func (h *Handlers) addStaff(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	st, err := h.Identity.AddStaff(r.Context(), accounts.NewStaff{UserName: f.Get("userName"), DisplayName: f.Get("displayName"),
		Role: f.Get("role"), Password: f.Get("password"), MustChangePassword: f.Get("mustChange") != ""})
	f.Set("password", "")
	switch {
	case err == nil:
		h.Log.InfoContext(r.Context(), "staff account added", "user", st.UserName, "role", st.Role,
			"by", viewerFrom(r.Context()).UserName)
		seeOther(w, r, "/staff")
	case errors.Is(err, accounts.ErrExists):
		f.Fail("userName", "is taken")
		h.renderStaff(w, r, http.StatusConflict, staffData{StaffForm: f})
	case h.fieldErrors(f, err, staffFields):
		h.renderStaff(w, r, http.StatusBadRequest, staffData{StaffForm: f})
	default:
		h.internalError(w, r, "add staff", err)
	}
}

var staffFields = map[string]string{"userName": "userName", "displayName": "displayName", "role": "role", "password": "password"}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handlers) setStaffDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "staffId")
		if !ok {
			h.NotFound(w, r)
			return
		}
		if disabled {
			staff, err := h.Identity.ListStaff(r.Context())
			if err != nil {
				h.internalError(w, r, "list staff", err)
				return
			}
			for _, s := range staff {
				if s.ID == id && s.UserName == viewerFrom(r.Context()).UserName {
					f := newForm(nil)
					f.FailGeneral("You cannot disable your own account.")
					h.renderStaff(w, r, http.StatusConflict, staffData{StaffForm: f})
					return
				}
			}
		}
		err := h.Identity.SetStaffDisabled(r.Context(), id, disabled)
		switch {
		case errors.Is(err, accounts.ErrNotFound):
			h.NotFound(w, r)
		case err != nil:
			h.internalError(w, r, "disable staff", err)
		default:
			h.Log.InfoContext(r.Context(), "staff account changed", "staff_id", id, "disabled", disabled,
				"by", viewerFrom(r.Context()).UserName)
			seeOther(w, r, "/staff")
		}
	}
}

func (h *Handlers) disableStaff(w http.ResponseWriter, r *http.Request) {
	h.setStaffDisabled(true)(w, r)
}
func (h *Handlers) enableStaff(w http.ResponseWriter, r *http.Request) {
	h.setStaffDisabled(false)(w, r)
}

func (h *Handlers) addClient(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	c, secret, err := h.Identity.AddClient(r.Context(), f.Get("name"), f.Get("role"))
	switch {
	case err == nil:
		h.Log.InfoContext(r.Context(), "API client added", "client", c.Name, "role", c.Role,
			"by", viewerFrom(r.Context()).UserName)
		// Shown once, on this answer; it is stored only as a hash.
		h.renderStaff(w, r, http.StatusCreated, staffData{NewClient: c.Name, Secret: secret})
	case errors.Is(err, accounts.ErrExists):
		f.Fail("name", "is taken")
		h.renderStaff(w, r, http.StatusConflict, staffData{ClientForm: f})
	case h.fieldErrors(f, err, map[string]string{"name": "name", "role": "clientRole"}):
		h.renderStaff(w, r, http.StatusBadRequest, staffData{ClientForm: f})
	default:
		h.internalError(w, r, "add client", err)
	}
}

func (h *Handlers) setClientDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "clientId")
		if !ok {
			h.NotFound(w, r)
			return
		}
		err := h.Identity.SetClientDisabled(r.Context(), id, disabled)
		switch {
		case errors.Is(err, accounts.ErrNotFound):
			h.NotFound(w, r)
		case err != nil:
			h.internalError(w, r, "disable client", err)
		default:
			seeOther(w, r, "/staff")
		}
	}
}

func (h *Handlers) disableClient(w http.ResponseWriter, r *http.Request) {
	h.setClientDisabled(true)(w, r)
}
func (h *Handlers) enableClient(w http.ResponseWriter, r *http.Request) {
	h.setClientDisabled(false)(w, r)
}
