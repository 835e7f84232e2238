package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

const (
	notificationsService = "notifications"
	invoicingService     = "invoicing"
)

// listPageSize is the number of reminders or invoices per page.
const listPageSize = 25

// pager holds the links of a paged list ("" when there is no such page).
type pager struct {
	FirstURL, NextURL string
}

// listQuery is a list page's filter: one customer's items, or everyone's.
type listQuery struct {
	CustomerID, Cursor string
}

func listQueryOf(r *http.Request) listQuery {
	q := r.URL.Query()
	return listQuery{CustomerID: q.Get("customerId"), Cursor: q.Get("cursor")}
}

// link is the URL of path with this filter and cursor.
func (q listQuery) link(path, cursor string) string {
	v := url.Values{}
	if q.CustomerID != "" {
		v.Set("customerId", q.CustomerID)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func (q listQuery) pager(path, next string) pager {
	var p pager
	if q.Cursor != "" {
		p.FirstURL = q.link(path, "")
	}
	if next != "" {
		p.NextURL = q.link(path, next)
	}
	return p
}

// badListQuery answers a list request the API rejected (a stale or edited cursor, a
// bad customer id): start over without it. ok is false when there is nothing to drop.
func badListQuery(w http.ResponseWriter, r *http.Request, path string, q listQuery, err error) bool {
	if !apiclient.IsStatus(err, http.StatusBadRequest) {
		return false
	}
	switch {
	case q.Cursor != "":
		seeOther(w, r, q.link(path, ""))
	case q.CustomerID != "":
		seeOther(w, r, path)
	default:
		return false
	}
	return true
}

// localTime shows an RFC 3339 instant in the garage's time zone ("" when s is empty,
// s itself when it is not a time).
func (h *Handlers) localTime(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(h.Location).Format("2006-01-02 15:04")
}

// filterView names the customer a list is restricted to.
type filterView struct {
	CustomerID, CustomerName string
}

func (h *Handlers) filterOf(r *http.Request, q listQuery, known string) *filterView {
	if q.CustomerID == "" {
		return nil
	}
	f := &filterView{CustomerID: q.CustomerID, CustomerName: known}
	if f.CustomerName == "" {
		names, _ := h.customerNames(r.Context(), []string{q.CustomerID})
		f.CustomerName = names[q.CustomerID]
	}
	return f
}

// reminderView is a reminder as the list shows it.
type reminderView struct {
	apiclient.Reminder
	CustomerName string
	DateLabel    string
	Jobs         int
	Created      string
	// Sent is when the mail server accepted it ("" while pending).
	Sent string
}

type remindersData struct {
	Layout
	Reminders []reminderView
	Filter    *filterView
	// NamesOffline explains customer ids shown instead of names.
	NamesOffline string
	pager
}

func (h *Handlers) listReminders(w http.ResponseWriter, r *http.Request) {
	q := listQueryOf(r)
	page, err := h.Notifications.Reminders(r.Context(), q.Cursor, q.CustomerID, listPageSize)
	if err != nil {
		if !badListQuery(w, r, "/reminders", q, err) {
			h.fail(w, r, "reminders", notificationsService, "reminder list", err)
		}
		return
	}
	ids := make([]string, 0, len(page.Items))
	for _, rem := range page.Items {
		ids = append(ids, rem.CustomerID)
	}
	// Names come from the customers service; without it the page shows the ids.
	names, offline := h.customerNames(r.Context(), ids)
	d := remindersData{Layout: Layout{Title: "Reminders", Nav: "reminders"}, pager: q.pager("/reminders", page.Next),
		Filter: h.filterOf(r, q, names[q.CustomerID])}
	if offline {
		d.NamesOffline = "The customers service is offline, so customers are shown by their ids; try again soon."
	}
	for _, rem := range page.Items {
		v := reminderView{Reminder: rem, CustomerName: names[rem.CustomerID], DateLabel: labelOf(rem.Date),
			Jobs: len(rem.JobIDs), Created: h.localTime(rem.CreatedAt)}
		if rem.SentAt != nil {
			v.Sent = h.localTime(*rem.SentAt)
		}
		d.Reminders = append(d.Reminders, v)
	}
	h.render(w, r, http.StatusOK, "reminders.html", d)
}

// invoiceLineView is an invoice line as the pages show it.
type invoiceLineView struct {
	apiclient.InvoiceLine
	// Start and End are the actual times of day in the garage's time zone.
	Start, End string
	AmountText string
}

// invoiceView is an invoice as the pages show it.
type invoiceView struct {
	apiclient.Invoice
	Total string
	Jobs  int
	// Sent is when the mail to the print company was accepted ("" while pending).
	Sent  string
	Lines []invoiceLineView
}

func (h *Handlers) invoiceView(inv apiclient.Invoice) invoiceView {
	v := invoiceView{Invoice: inv, Total: formatMoney(inv.Amount), Jobs: len(inv.JobIDs)}
	if inv.SentAt != nil {
		v.Sent = h.localTime(*inv.SentAt)
	}
	for _, l := range inv.Lines {
		v.Lines = append(v.Lines, invoiceLineView{InvoiceLine: l, Start: h.clock(l.ActualStartTime),
			End: h.clock(l.ActualEndTime), AmountText: formatMoney(l.Amount)})
	}
	return v
}

type invoicesData struct {
	Layout
	Invoices []invoiceView
	Filter   *filterView
	pager
}

func (h *Handlers) listInvoices(w http.ResponseWriter, r *http.Request) {
	q := listQueryOf(r)
	page, err := h.Invoicing.List(r.Context(), q.Cursor, q.CustomerID, listPageSize)
	if err != nil {
		if !badListQuery(w, r, "/invoices", q, err) {
			h.fail(w, r, "invoices", invoicingService, "invoice list", err)
		}
		return
	}
	d := invoicesData{Layout: Layout{Title: "Invoices", Nav: "invoices"}, pager: q.pager("/invoices", page.Next)}
	known := ""
	for _, inv := range page.Items {
		d.Invoices = append(d.Invoices, h.invoiceView(inv))
		if inv.CustomerID == q.CustomerID {
			known = inv.Customer.Name
		}
	}
	d.Filter = h.filterOf(r, q, known)
	h.render(w, r, http.StatusOK, "invoices.html", d)
}

type invoiceData struct {
	Layout
	Invoice invoiceView
}

func (h *Handlers) showInvoice(w http.ResponseWriter, r *http.Request) {
	inv, err := h.Invoicing.Get(r.Context(), chi.URLParam(r, "invoiceId"))
	if err != nil {
		h.fail(w, r, "invoices", invoicingService, "invoice", err)
		return
	}
	h.render(w, r, http.StatusOK, "invoice.html", invoiceData{
		Layout: Layout{Title: "Invoice " + inv.InvoiceNumber, Nav: "invoices"}, Invoice: h.invoiceView(inv)})
}
