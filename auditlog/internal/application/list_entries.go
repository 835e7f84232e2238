package application

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
)

// ListEntries is the query for one page of the audit log, filtered and in the order
// asked for (recording order by default). Its fields are the client's raw parameters;
// empty means "not given".
type ListEntries struct {
	// Type is a full event type or a short one without dots (see domain.FilterInput).
	Type string
	// Subject is matched exactly.
	Subject string
	// Actor is matched exactly.
	Actor string
	// Q is searched for, ignoring case, in type, subject, actor and the body's string
	// values (see domain.FilterInput.Query).
	Q string
	// From and To are RFC 3339 times bounding the event time: From inclusive, To
	// exclusive. A space stands for a "+" (an offset sent unencoded in a URL).
	From, To string
	// Sort is one of domain.OrderNames ("recorded" when empty).
	Sort string
	// Limit is the page size, 1..paging.MaxLimit (paging.DefaultLimit when empty).
	Limit string
	// Cursor is empty for the first page, or the Next of the previous page (of the same
	// Sort: a cursor of another order is invalid).
	Cursor string
}

// Position is where a page starts: the key, in the list's order, of the entry it
// follows. Its zero value is the start of the list.
type Position struct {
	// Seq is the entry's recording position; 0 stands for the start of the list.
	Seq int64
	// Time is the entry's event time at microsecond precision (as stored), set in the
	// time orders.
	Time time.Time
	// Type is the entry's event type, set in the type orders.
	Type string
}

// EntryLister is the storage ListEntriesHandler needs.
type EntryLister interface {
	// List returns at most n entries matching f in order o, starting after the entry
	// at position after (from the start when after.Seq is 0).
	List(ctx context.Context, f domain.Filter, o domain.Order, after Position, n int) ([]RecordedEntry, error)
}

// ListEntriesHandler answers ListEntries with keyset paging: a page is found by the
// key of the entry it follows, not by an offset, so pages stay stable and cheap however
// deep, and paging in recording order through a log that grows meanwhile returns every
// entry once.
type ListEntriesHandler struct {
	repo EntryLister
}

// NewListEntriesHandler returns a handler reading through repo.
func NewListEntriesHandler(repo EntryLister) ListEntriesHandler {
	return ListEntriesHandler{repo: repo}
}

// cursorPrefixes version the cursor format of each order; a cursor of one order is
// invalid in another. Recording order keeps the prefix it had before there were
// other orders, so the cursors handed out then stay valid.
var cursorPrefixes = map[domain.Order]string{
	domain.ByRecording: "a1:", domain.ByRecordingDesc: "a1d:",
	domain.ByTime: "a1t:", domain.ByTimeDesc: "a1td:",
	domain.ByType: "a1y:", domain.ByTypeDesc: "a1yd:",
}

// Handle returns the requested page. Invalid parameters yield one *domain.ValidationError
// (wrapping domain.ErrInvalidFilter) naming every offending parameter: type, subject,
// actor, q, from, to, sort, limit, cursor.
func (h ListEntriesHandler) Handle(ctx context.Context, q ListEntries) (paging.Page[RecordedEntry], error) {
	verr := &domain.ValidationError{Of: domain.ErrInvalidFilter}
	from := parseTime(verr, "from", q.From)
	to := parseTime(verr, "to", q.To)
	limit, err := paging.ParseLimit(q.Limit)
	if err != nil {
		verr.Add(paging.ErrInvalidLimit.Param, paging.ErrInvalidLimit.Detail)
	}
	order, ok := domain.ParseOrder(q.Sort)
	var after Position
	if !ok {
		// Without a valid order, the cursor cannot be checked against it.
		verr.Add("sort", "must be one of "+strings.Join(domain.OrderNames(), ", "))
	} else if after, err = decodeCursor(order, q.Cursor); err != nil {
		verr.Add(paging.ErrInvalidCursor.Param, paging.ErrInvalidCursor.Detail)
	}
	f, err := domain.NewFilter(domain.FilterInput{Type: q.Type, Subject: q.Subject, Actor: q.Actor, Query: q.Q,
		From: from, To: to})
	if fe := (*domain.ValidationError)(nil); errors.As(err, &fe) {
		verr.Fields = append(verr.Fields, fe.Fields...)
	} else if err != nil {
		return paging.Page[RecordedEntry]{}, err
	}
	if err := verr.OrNil(); err != nil {
		return paging.Page[RecordedEntry]{}, err
	}
	// One extra row tells whether there is a next page.
	rows, err := h.repo.List(ctx, f, order, after, limit+1)
	if err != nil {
		return paging.Page[RecordedEntry]{}, fmt.Errorf("list audit entries: %w", err)
	}
	return paging.NewPage(rows, limit, func(last RecordedEntry) string { return encodeCursor(order, last) }), nil
}

// encodeCursor returns the cursor of the page after e in order o. Its key is e's seq
// in recording order, "<event time in Unix microseconds>:<seq>" in time order and
// "<seq>:<type>" in type order (the type last, as it may hold colons).
func encodeCursor(o domain.Order, e RecordedEntry) string {
	prefix := cursorPrefixes[o]
	seq := strconv.FormatInt(e.Seq, 10)
	switch o {
	case domain.ByTime, domain.ByTimeDesc:
		return paging.EncodeCursor(prefix, strconv.FormatInt(e.Entry.Time().UnixMicro(), 10)+":"+seq)
	case domain.ByType, domain.ByTypeDesc:
		return paging.EncodeCursor(prefix, seq+":"+e.Entry.Type())
	default:
		return paging.EncodePosition(prefix, e.Seq)
	}
}

// decodeCursor returns the position a cursor of order o carries: the zero Position for
// the empty cursor, paging.ErrInvalidCursor for anything encodeCursor does not make
// for o (each key written one way only, times within the years 0000-9999 that event
// times have, types storable text).
func decodeCursor(o domain.Order, s string) (Position, error) {
	prefix := cursorPrefixes[o]
	switch o {
	case domain.ByTime, domain.ByTimeDesc:
		key, err := paging.DecodeCursor(prefix, s)
		if err != nil || key == "" {
			return Position{}, err
		}
		micros, seqText, _ := strings.Cut(key, ":")
		us, err := strconv.ParseInt(micros, 10, 64)
		if err != nil || strconv.FormatInt(us, 10) != micros {
			return Position{}, paging.ErrInvalidCursor
		}
		t := time.UnixMicro(us).UTC()
		seq, ok := parseSeq(seqText)
		if !ok || t.Year() < 0 || t.Year() > 9999 {
			return Position{}, paging.ErrInvalidCursor
		}
		return Position{Seq: seq, Time: t}, nil
	case domain.ByType, domain.ByTypeDesc:
		key, err := paging.DecodeCursor(prefix, s)
		if err != nil || key == "" {
			return Position{}, err
		}
		seqText, typ, _ := strings.Cut(key, ":")
		seq, ok := parseSeq(seqText)
		if !ok || typ == "" || len(typ) > 1024 || !utf8.ValidString(typ) || strings.ContainsRune(typ, 0) {
			return Position{}, paging.ErrInvalidCursor
		}
		return Position{Seq: seq, Type: typ}, nil
	default:
		seq, err := paging.DecodePosition(prefix, s)
		return Position{Seq: seq}, err
	}
}

// parseSeq reads a positive seq written without sign or leading zeros.
func parseSeq(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 1 && strconv.FormatInt(n, 10) == s
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
