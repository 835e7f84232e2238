package application

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
)

// maxCustomerIDLength bounds the customerId filter.
const maxCustomerIDLength = 200

// ListInvoices is the query for one page of invoices in creation order (which is
// invoice number order). Its fields are the client's raw parameters; empty means "not
// given".
type ListInvoices struct {
	// CustomerID restricts the list to one customer's invoices.
	CustomerID string
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// ListInvoicesHandler answers ListInvoices with keyset paging on Position: pages stay
// stable and cheap however deep. Invoices are created one transaction at a time (the
// number counter serialises them), so positions become visible in order and paging
// through a growing list returns every invoice once.
type ListInvoicesHandler struct {
	reader InvoiceReader
}

// NewListInvoicesHandler returns a handler reading through reader.
func NewListInvoicesHandler(reader InvoiceReader) ListInvoicesHandler {
	return ListInvoicesHandler{reader: reader}
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "i1:"

// Handle returns the requested page. Invalid parameters yield one
// *domain.ValidationError (wrapping domain.ErrInvalidQuery) naming every offending
// parameter: customerId, limit, cursor.
func (h ListInvoicesHandler) Handle(ctx context.Context, q ListInvoices) (paging.Page[InvoiceRecord], error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidQuery}
	if q.CustomerID != "" && (!utf8.ValidString(q.CustomerID) || utf8.RuneCountInString(q.CustomerID) > maxCustomerIDLength ||
		strings.ContainsFunc(q.CustomerID, unicode.IsControl)) {
		verr.Add("customerId", fmt.Sprintf("must be a customer id of at most %d printable characters", maxCustomerIDLength))
	}
	limit, err := paging.ParseLimit(q.Limit)
	if err != nil {
		verr.Add(paging.ErrInvalidLimit.Param, paging.ErrInvalidLimit.Detail)
	}
	after, err := paging.DecodePosition(cursorPrefix, q.Cursor)
	if err != nil {
		verr.Add(paging.ErrInvalidCursor.Param, paging.ErrInvalidCursor.Detail)
	}
	if err := verr.OrNil(); err != nil {
		return paging.Page[InvoiceRecord]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.reader.Invoices(ctx, q.CustomerID, after, limit+1)
	if err != nil {
		return paging.Page[InvoiceRecord]{}, fmt.Errorf("list invoices: %w", err)
	}
	return paging.NewPage(rows, limit, func(last InvoiceRecord) string {
		return paging.EncodePosition(cursorPrefix, last.Position)
	}), nil
}
