package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// pickerView is a type-ahead picker: a text input holding the chosen id, whose
// datalist starts with Options and is refilled from Source (?q=the typed text) by
// static/picker.js as the user types. Without JavaScript the user types the id; the
// submit validates it as before.
type pickerView struct {
	Name, Label, Source, Value, Error string
	Options                           []option
}

func newPicker(f *Form, name, label, source string, options []option) pickerView {
	return pickerView{Name: name, Label: label, Source: source, Value: f.Get(name), Error: f.Err(name), Options: options}
}

// pickLimit bounds a picker's answer.
const pickLimit = 20

// pickItem is one entry of a picker's answer.
type pickItem struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

func (h *Handlers) pickJSON(w http.ResponseWriter, r *http.Request, items []pickItem, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		status := http.StatusBadGateway
		switch {
		case errors.Is(err, apiclient.ErrUnavailable):
			status = http.StatusServiceUnavailable
		case apiclient.IsStatus(err, http.StatusBadRequest):
			status = http.StatusBadRequest
		default:
			h.Log.ErrorContext(r.Context(), "picker failed", "err", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("[]\n"))
		return
	}
	if items == nil {
		items = []pickItem{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(items)
}

// pickQuery is the picker's text: trimmed, at most 100 characters.
func pickQuery(r *http.Request) string {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if rs := []rune(q); len(rs) > 100 {
		q = string(rs[:100])
	}
	return q
}

// pickCustomers answers the customers whose name or e-mail address contains q, by
// name: [{id, label}].
func (h *Handlers) pickCustomers(w http.ResponseWriter, r *http.Request) {
	page, err := h.Customers.Search(r.Context(), apiclient.CustomerQuery{Q: pickQuery(r), Sort: "name"}, "", pickLimit)
	var items []pickItem
	for _, c := range page.Items {
		items = append(items, pickItem{ID: c.CustomerID, Label: customerLabel(c)})
	}
	h.pickJSON(w, r, items, err)
}

// pickVehicles answers the vehicles the workshop knows whose licence number, brand or
// type contains q: [{id, label}].
func (h *Handlers) pickVehicles(w http.ResponseWriter, r *http.Request) {
	page, err := h.Workshop.SearchRefVehicles(r.Context(), pickQuery(r), "", pickLimit)
	var items []pickItem
	for _, o := range h.vehicleLabels(r.Context(), page.Items) {
		items = append(items, pickItem{ID: o.Value, Label: o.Label})
	}
	h.pickJSON(w, r, items, err)
}
