package application

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

// Page sizes of ListInvoices.
const (
	// DefaultLimit is the page size when the client asks for none.
	DefaultLimit = 50
	// MaxLimit is the largest page a client may ask for.
	MaxLimit = 200
	// maxCustomerIDLength bounds the customerId filter.
	maxCustomerIDLength = 200
)

// ListInvoices is the query for one page of invoices in creation order (which is
// invoice number order). Its fields are the client's raw parameters; empty means "not
// given".
type ListInvoices struct {
	// CustomerID restricts the list to one customer's invoices.
	CustomerID string
	// Limit is the page size, 1..MaxLimit (DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// InvoicePage is one page of invoices.
type InvoicePage struct {
	Invoices []InvoiceRecord
	// Next is the opaque cursor of the following page; empty on the last page.
	Next string
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

// Handle returns the requested page. Invalid parameters yield one
// *domain.ValidationError (wrapping domain.ErrInvalidQuery) naming every offending
// parameter: customerId, limit, cursor.
func (h ListInvoicesHandler) Handle(ctx context.Context, q ListInvoices) (InvoicePage, error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidQuery}
	if q.CustomerID != "" && (!utf8.ValidString(q.CustomerID) || utf8.RuneCountInString(q.CustomerID) > maxCustomerIDLength ||
		strings.ContainsFunc(q.CustomerID, unicode.IsControl)) {
		verr.Add("customerId", fmt.Sprintf("must be a customer id of at most %d printable characters", maxCustomerIDLength))
	}
	limit := DefaultLimit
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > MaxLimit {
			verr.Add("limit", fmt.Sprintf("must be an integer between 1 and %d", MaxLimit))
		}
		limit = n
	}
	var after int64
	if q.Cursor != "" {
		var ok bool
		if after, ok = decodeCursor(q.Cursor); !ok {
			verr.Add("cursor", "is not a cursor handed out by this API")
		}
	}
	if err := verr.OrNil(); err != nil {
		return InvoicePage{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.reader.Invoices(ctx, q.CustomerID, after, limit+1)
	if err != nil {
		return InvoicePage{}, fmt.Errorf("list invoices: %w", err)
	}
	page := InvoicePage{Invoices: rows}
	if len(rows) > limit {
		page.Invoices = rows[:limit]
		page.Next = encodeCursor(rows[limit-1].Position)
	}
	return page, nil
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "i1:"

func encodeCursor(pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(pos, 10)))
}

func decodeCursor(s string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, false
	}
	pos, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || pos < 1 || strconv.FormatInt(pos, 10) != digits {
		return 0, false
	}
	return pos, true
}
