package application

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pitstop/pitstop/auditlog/internal/domain"
)

// Page sizes of ListEntries.
const (
	// DefaultLimit is the page size when the client asks for none.
	DefaultLimit = 50
	// MaxLimit is the largest page a client may ask for.
	MaxLimit = 200
)

// ListEntries is the query for one page of the audit log in recording order. Its
// fields are the client's raw parameters; empty means "not given".
type ListEntries struct {
	// Type is a full event type or a short one without dots (see domain.FilterInput).
	Type string
	// Subject is matched exactly.
	Subject string
	// From and To are RFC 3339 times bounding the event time: From inclusive, To
	// exclusive. A space stands for a "+" (an offset sent unencoded in a URL).
	From, To string
	// Limit is the page size, 1..MaxLimit (DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
}

// EntryPage is one page of entries.
type EntryPage struct {
	Entries []RecordedEntry
	// Next is the opaque cursor of the following page; empty on the last page.
	Next string
}

// EntryLister is the storage ListEntriesHandler needs.
type EntryLister interface {
	// List returns at most n entries matching f whose Seq is greater than after, in
	// Seq order.
	List(ctx context.Context, f domain.Filter, after int64, n int) ([]RecordedEntry, error)
}

// ListEntriesHandler answers ListEntries with keyset paging on Seq: a page is found by
// position, not offset, so pages stay stable and cheap however deep, and paging
// through a log that grows meanwhile returns every entry once.
type ListEntriesHandler struct {
	repo EntryLister
}

// NewListEntriesHandler returns a handler reading through repo.
func NewListEntriesHandler(repo EntryLister) ListEntriesHandler {
	return ListEntriesHandler{repo: repo}
}

// Handle returns the requested page. Invalid parameters yield one *domain.ValidationError
// (wrapping domain.ErrInvalidFilter) naming every offending parameter: type, subject,
// from, to, limit, cursor.
func (h ListEntriesHandler) Handle(ctx context.Context, q ListEntries) (EntryPage, error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidFilter}
	from := parseTime(verr, "from", q.From)
	to := parseTime(verr, "to", q.To)
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
	f, err := domain.NewFilter(domain.FilterInput{Type: q.Type, Subject: q.Subject, From: from, To: to})
	if fe := (*domain.ValidationError)(nil); errors.As(err, &fe) {
		verr.Fields = append(verr.Fields, fe.Fields...)
	} else if err != nil {
		return EntryPage{}, err
	}
	if err := verr.OrNil(); err != nil {
		return EntryPage{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.List(ctx, f, after, limit+1)
	if err != nil {
		return EntryPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	page := EntryPage{Entries: rows}
	if len(rows) > limit {
		page.Entries = rows[:limit]
		page.Next = encodeCursor(rows[limit-1].Seq)
	}
	return page, nil
}

// parseTime parses an RFC 3339 parameter; empty yields the zero time.
func parseTime(verr *domain.ValidationError, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && strings.Contains(s, " ") {
		// An offset's "+" sent unencoded in a query string arrives as a space; RFC 3339
		// times hold no spaces, so putting it back cannot change a valid time's meaning.
		t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
	}
	if err != nil {
		verr.Add(field, "must be an RFC 3339 time such as 2024-05-01T08:00:00Z")
		return time.Time{}
	}
	return t
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "a1:"

func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
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
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq < 1 || strconv.FormatInt(seq, 10) != digits {
		return 0, false
	}
	return seq, true
}
