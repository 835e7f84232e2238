package application

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
)

// maxCustomerIDLen bounds the customerId filter (no stored id is longer in practice).
const maxCustomerIDLen = 1000

// cursorPrefix versions the cursor format.
const cursorPrefix = "r1:"

// ListReminders is the query for one page of reminders in creation order. Its fields
// are the client's raw parameters; empty means "not given".
type ListReminders struct {
	// CustomerID keeps only this customer's reminders.
	CustomerID string
	// Date (YYYY-MM-DD) keeps only the reminders of this business day.
	Date string
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// ListRemindersHandler answers ListReminders with keyset paging on Position: pages stay
// stable and cheap however deep, and paging while reminders are added returns every
// reminder that existed when paging began once.
type ListRemindersHandler struct {
	reader ReminderReader
}

// NewListRemindersHandler returns a handler reading through reader.
func NewListRemindersHandler(reader ReminderReader) ListRemindersHandler {
	return ListRemindersHandler{reader: reader}
}

// Handle returns the requested page. Invalid parameters yield one
// *domain.ValidationError (wrapping domain.ErrInvalidQuery) naming every offending
// parameter: customerId, date, limit, cursor.
func (h ListRemindersHandler) Handle(ctx context.Context, q ListReminders) (paging.Page[ReminderRecord], error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidQuery}
	var f ReminderFilter
	switch {
	case !utf8.ValidString(q.CustomerID) || strings.ContainsFunc(q.CustomerID, unicode.IsControl):
		verr.Add("customerId", "must be printable UTF-8")
	case len(q.CustomerID) > maxCustomerIDLen:
		verr.Add("customerId", fmt.Sprintf("must be at most %d bytes", maxCustomerIDLen))
	default:
		f.CustomerID = q.CustomerID
	}
	if q.Date != "" {
		d, err := domain.ParseDate(q.Date)
		if err != nil {
			verr.Add("date", "must be a date such as 2024-05-01")
		}
		f.Date = d
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
		return paging.Page[ReminderRecord]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.reader.Reminders(ctx, f, after, limit+1)
	if err != nil {
		return paging.Page[ReminderRecord]{}, fmt.Errorf("list reminders: %w", err)
	}
	return paging.NewPage(rows, limit, func(last ReminderRecord) string {
		return paging.EncodePosition(cursorPrefix, last.Position)
	}), nil
}
