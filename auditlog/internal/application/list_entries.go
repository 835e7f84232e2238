package application

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
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
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page.
	Cursor string
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

// cursorPrefix versions the cursor format.
const cursorPrefix = "a1:"

// Handle returns the requested page. Invalid parameters yield one *domain.ValidationError
// (wrapping domain.ErrInvalidFilter) naming every offending parameter: type, subject,
// from, to, limit, cursor.
func (h ListEntriesHandler) Handle(ctx context.Context, q ListEntries) (paging.Page[RecordedEntry], error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidFilter}
	from := parseTime(verr, "from", q.From)
	to := parseTime(verr, "to", q.To)
	limit, err := paging.ParseLimit(q.Limit)
	if err != nil {
		verr.Add(paging.ErrInvalidLimit.Param, paging.ErrInvalidLimit.Detail)
	}
	after, err := paging.DecodePosition(cursorPrefix, q.Cursor)
	if err != nil {
		verr.Add(paging.ErrInvalidCursor.Param, paging.ErrInvalidCursor.Detail)
	}
	f, err := domain.NewFilter(domain.FilterInput{Type: q.Type, Subject: q.Subject, From: from, To: to})
	if fe := (*domain.ValidationError)(nil); errors.As(err, &fe) {
		verr.Fields = append(verr.Fields, fe.Fields...)
	} else if err != nil {
		return paging.Page[RecordedEntry]{}, err
	}
	if err := verr.OrNil(); err != nil {
		return paging.Page[RecordedEntry]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.List(ctx, f, after, limit+1)
	if err != nil {
		return paging.Page[RecordedEntry]{}, fmt.Errorf("list audit entries: %w", err)
	}
	return paging.NewPage(rows, limit, func(last RecordedEntry) string {
		return paging.EncodePosition(cursorPrefix, last.Seq)
	}), nil
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
