package ports

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
)

// RefDataUseCases are the application handlers the reference-data API drives.
type RefDataUseCases struct {
	ListCustomers *application.ListCustomersHandler
	GetCustomer   *application.GetCustomerHandler
	ListVehicles  *application.ListVehiclesHandler
	GetVehicle    *application.GetVehicleHandler
}

// RefDataHTTPHandlers serves /api/refdata: the customers and vehicles the workshop
// knows from events, available while those contexts are down.
type RefDataHTTPHandlers struct {
	uc   RefDataUseCases
	errs *problem.Translator
}

// NewRefDataHTTPHandlers returns the reference-data API over uc.
func NewRefDataHTTPHandlers(uc RefDataUseCases, log *slog.Logger) *RefDataHTTPHandlers {
	return &RefDataHTTPHandlers{uc: uc, errs: errorResponses(log)}
}

// Routes mounts the reference-data API on r.
func (h *RefDataHTTPHandlers) Routes(r chi.Router) {
	r.Get("/api/refdata/customers", h.listCustomers)
	r.Get("/api/refdata/customers/{id}", h.getCustomer)
	r.Get("/api/refdata/vehicles", h.listVehicles)
	r.Get("/api/refdata/vehicles/{licenseNumber}", h.getVehicle)
}

type customerJSON struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

type vehicleJSON struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

type listJSON[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func toCustomerJSON(c application.Customer) customerJSON {
	return customerJSON{CustomerID: c.CustomerID, Name: c.Name, Address: c.Address, PostalCode: c.PostalCode,
		City: c.City, TelephoneNumber: c.TelephoneNumber, EmailAddress: c.EmailAddress}
}

func toVehicleJSON(v application.Vehicle) vehicleJSON {
	return vehicleJSON{LicenseNumber: v.LicenseNumber, Brand: v.Brand, Type: v.Type, OwnerID: v.OwnerID}
}

// maxKeyLength bounds ids in paths and cursors; longer ones cannot exist.
const maxKeyLength = 256

// validKey reports whether s can be a stored key: bounded, valid UTF-8, no NUL (which
// Postgres text cannot hold, so querying it would fail instead of finding nothing).
func validKey(s string) bool {
	return s != "" && len(s) <= maxKeyLength && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// cursorPrefix is empty: the reference-data cursors predate the versioned ones of the
// other lists, and a prefix now would turn the cursors clients hold into 400s.
const cursorPrefix = ""

// pageParams parses ?limit= (1..200, default 50) and ?cursor= (opaque, from a previous
// page's next). Its errors are paging's (joined, one per bad parameter), answered as
// field errors like every list's; a query string that cannot be parsed is a field
// error of "query".
func pageParams(r *http.Request) (after string, limit int, err error) {
	q, qErr := url.ParseQuery(r.URL.RawQuery)
	if qErr != nil {
		verr := &problem.ValidationError{}
		verr.Add("query", "is not a valid URL query string")
		return "", 0, verr
	}
	limit, limitErr := paging.ParseLimit(q.Get("limit"))
	after, cursorErr := paging.DecodeCursor(cursorPrefix, q.Get("cursor"))
	if cursorErr == nil && after != "" && !validKey(after) {
		cursorErr = paging.ErrInvalidCursor
	}
	return after, limit, errors.Join(limitErr, cursorErr)
}

// maxSearchLength bounds the ?q= of a list search.
const maxSearchLength = 100

// searchParam reads an optional filter parameter of a list (?q=, ?customerId=): at most
// maxLength characters of valid UTF-8 without NUL, else a field error of name.
func searchParam(verr *problem.ValidationError, q url.Values, name string, maxLength int) string {
	v := q.Get(name)
	if v != "" && (utf8.RuneCountInString(v) > maxLength || !utf8.ValidString(v) || strings.ContainsRune(v, 0)) {
		verr.Add(name, "must be at most "+strconv.Itoa(maxLength)+" characters of text")
	}
	return v
}

// customerSearchPrefix versions the cursors of the by-name customer search, whose key
// (name, id) differs from the plain list's.
const customerSearchPrefix = "n1:"

func (h *RefDataHTTPHandlers) listCustomers(w http.ResponseWriter, r *http.Request) {
	verr := &problem.ValidationError{}
	search := searchParam(verr, r.URL.Query(), "q", maxSearchLength)
	if search != "" {
		h.searchCustomers(w, r, verr, search)
		return
	}
	after, limit, err := pageParams(r)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	page, err := h.uc.ListCustomers.Handle(r.Context(), after, limit)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	h.writeCustomers(w, page, paging.EncodeCursor(cursorPrefix, page.Next))
}

// searchCustomers answers ?q=: the customers whose name contains q, case-insensitively,
// ordered by name (then id), with cursors of their own.
func (h *RefDataHTTPHandlers) searchCustomers(w http.ResponseWriter, r *http.Request, verr *problem.ValidationError, search string) {
	q := r.URL.Query()
	limit, limitErr := paging.ParseLimit(q.Get("limit"))
	after, cursorErr := paging.DecodeCursor(customerSearchPrefix, q.Get("cursor"))
	if cursorErr == nil && after != "" && (!utf8.ValidString(after) || strings.ContainsRune(after, 0)) {
		cursorErr = paging.ErrInvalidCursor
	}
	addFieldErrors(verr, errors.Join(limitErr, cursorErr), func(f string) string { return f })
	if err := verr.OrNil(); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	page, err := h.uc.ListCustomers.Search(r.Context(), search, after, limit)
	if errors.Is(err, paging.ErrInvalidCursor) {
		verr.Add("cursor", paging.ErrInvalidCursor.Detail)
		err = verr
	}
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	h.writeCustomers(w, page, paging.EncodeCursor(customerSearchPrefix, page.Next))
}

func (h *RefDataHTTPHandlers) writeCustomers(w http.ResponseWriter, page paging.Page[application.Customer], next string) {
	out := listJSON[customerJSON]{Items: make([]customerJSON, 0, len(page.Items)), Next: next}
	for _, c := range page.Items {
		out.Items = append(out.Items, toCustomerJSON(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *RefDataHTTPHandlers) getCustomer(w http.ResponseWriter, r *http.Request) {
	id := pathParam(r, "id")
	if !validKey(id) {
		h.errs.Respond(w, r, application.ErrCustomerNotFound)
		return
	}
	c, err := h.uc.GetCustomer.Handle(r.Context(), id)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toCustomerJSON(c))
}

func (h *RefDataHTTPHandlers) listVehicles(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	verr := &problem.ValidationError{}
	q := r.URL.Query()
	f := application.VehicleFilter{Q: searchParam(verr, q, "q", maxSearchLength),
		OwnerID: searchParam(verr, q, "customerId", maxKeyLength)}
	if err := verr.OrNil(); err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	page, err := h.uc.ListVehicles.Handle(r.Context(), f, after, limit)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	out := listJSON[vehicleJSON]{Items: make([]vehicleJSON, 0, len(page.Items)), Next: paging.EncodeCursor(cursorPrefix, page.Next)}
	for _, v := range page.Items {
		out.Items = append(out.Items, toVehicleJSON(v))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *RefDataHTTPHandlers) getVehicle(w http.ResponseWriter, r *http.Request) {
	ln := pathParam(r, "licenseNumber")
	if !validKey(ln) {
		h.errs.Respond(w, r, application.ErrVehicleNotFound)
		return
	}
	v, err := h.uc.GetVehicle.Handle(r.Context(), ln)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toVehicleJSON(v))
}
