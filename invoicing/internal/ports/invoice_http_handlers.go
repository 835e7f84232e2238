// Package ports holds the invoicing context's driving ports: the HTTP query API and the
// JetStream event handlers that keep the read model and create the invoices.
package ports

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
)

// BasePath is where the invoicing API is mounted.
const BasePath = "/api/invoices"

// HTTPHandlers serves the invoices:
//
//	GET /api/invoices?customerId=&limit=&cursor=
//	    one page {items, next?} in creation (= invoice number) order; customerId
//	    restricts it to one customer; limit 1..200 (default 50). Invalid parameters are
//	    a 400 problem document naming each one.
//	GET /api/invoices/{invoiceId}
//	    one invoice; an unknown id is 404, and so is one that is not a UUID.
//
// An invoice is {invoiceId, invoiceNumber, invoiceDate, dueDate, customerId,
// customer{name, address, postalCode, city}, jobIds, lines[{jobId, date,
// licenseNumber, description, actualStartTime, actualEndTime, hours, amount}],
// amount{currency, cents}, sentAt}; sentAt is null while the invoice mail is pending.
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
	r.Get(BasePath, h.list)
	r.Get(BasePath+"/{invoiceId}", h.get)
}

type moneyResponse struct {
	Currency string `json:"currency"`
	Cents    int64  `json:"cents"`
}

type customerResponse struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	PostalCode string `json:"postalCode"`
	City       string `json:"city"`
}

type lineResponse struct {
	JobID           string        `json:"jobId"`
	Date            string        `json:"date"`
	LicenseNumber   string        `json:"licenseNumber"`
	Description     string        `json:"description"`
	ActualStartTime string        `json:"actualStartTime"`
	ActualEndTime   string        `json:"actualEndTime"`
	Hours           string        `json:"hours"`
	Amount          moneyResponse `json:"amount"`
}

type invoiceResponse struct {
	InvoiceID     string           `json:"invoiceId"`
	InvoiceNumber string           `json:"invoiceNumber"`
	InvoiceDate   string           `json:"invoiceDate"`
	DueDate       string           `json:"dueDate"`
	CustomerID    string           `json:"customerId"`
	Customer      customerResponse `json:"customer"`
	JobIDs        []string         `json:"jobIds"`
	Lines         []lineResponse   `json:"lines"`
	Amount        moneyResponse    `json:"amount"`
	SentAt        *string          `json:"sentAt"`
}

func money(m domain.Money) moneyResponse {
	return moneyResponse{Currency: m.Currency().Code(), Cents: m.Cents()}
}

func toResponse(r application.InvoiceRecord) invoiceResponse {
	inv := r.Invoice
	c := inv.Customer()
	res := invoiceResponse{InvoiceID: inv.ID().String(), InvoiceNumber: inv.Number().String(),
		InvoiceDate: inv.Date().String(), DueDate: inv.DueDate().String(), CustomerID: c.ID(),
		Customer: customerResponse{Name: c.Name(), Address: c.Address(), PostalCode: c.PostalCode(), City: c.City()},
		JobIDs:   inv.JobIDs(), Lines: []lineResponse{}, Amount: money(inv.Total())}
	for _, l := range inv.Lines() {
		res.Lines = append(res.Lines, lineResponse{JobID: l.JobID(), Date: l.Date().String(),
			LicenseNumber: l.LicenseNumber(), Description: l.Description(),
			ActualStartTime: l.ActualStart().UTC().Format(time.RFC3339), ActualEndTime: l.ActualEnd().UTC().Format(time.RFC3339),
			Hours: l.Hours(), Amount: money(l.Amount())})
	}
	if r.SentAt != nil {
		s := r.SentAt.UTC().Format(time.RFC3339Nano)
		res.SentAt = &s
	}
	return res
}

type listResponse struct {
	Items []invoiceResponse `json:"items"`
	Next  string            `json:"next,omitempty"`
}

func (h *HTTPHandlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := h.app.ListInvoices.Handle(r.Context(), application.ListInvoices{
		CustomerID: q.Get("customerId"), Limit: q.Get("limit"), Cursor: q.Get("cursor"),
	})
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	res := listResponse{Items: make([]invoiceResponse, 0, len(page.Items)), Next: page.Next}
	for _, inv := range page.Items {
		res.Items = append(res.Items, toResponse(inv))
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (h *HTTPHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "invoiceId"))
	if err != nil {
		// A string that is not a UUID cannot name an invoice: the same 404 as any unknown id.
		h.errs.Respond(w, r, domain.ErrInvoiceNotFound)
		return
	}
	inv, err := h.app.GetInvoice.Handle(r.Context(), id)
	if err != nil {
		h.errs.Respond(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toResponse(inv))
}

// errorResponses maps the invoicing context's own errors; problem.Translator does the
// rest (field errors, 499, 500).
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("invoicing", log,
		problem.Is(domain.ErrInvoiceNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "invoice not found"}),
	)
}
