package application

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// Page sizes of ListReminders.
const (
	// DefaultLimit is the page size when the client asks for none.
	DefaultLimit = 50
	// MaxLimit is the largest page a client may ask for.
	MaxLimit = 200
	// maxCustomerIDLen bounds the customerId filter (no stored id is longer in practice).
	maxCustomerIDLen = 1000
)

// ListReminders is the query for one page of reminders in creation order. Its fields
// are the client's raw parameters; empty means "not given".
type ListReminders struct {
	// CustomerID keeps only this customer's reminders.
	CustomerID string
	// Date (YYYY-MM-DD) keeps only the reminders of this business day.
	Date string
	// Limit is the page size, 1..MaxLimit (DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// ReminderPage is one page of reminders.
type ReminderPage struct {
	Reminders []ReminderRecord
	// Next is the opaque cursor of the following page; empty on the last page.
	Next string
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
func (h ListRemindersHandler) Handle(ctx context.Context, q ListReminders) (ReminderPage, error) {
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
		return ReminderPage{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.reader.Reminders(ctx, f, after, limit+1)
	if err != nil {
		return ReminderPage{}, fmt.Errorf("list reminders: %w", err)
	}
	page := ReminderPage{Reminders: rows}
	if len(rows) > limit {
		page.Reminders = rows[:limit]
		page.Next = encodeCursor(rows[limit-1].Position)
	}
	return page, nil
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "r1:"

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
