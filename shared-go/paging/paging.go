// Package paging holds the keyset-paging plumbing every list of the Pitstop APIs
// shares: the page size a client may ask for, the opaque cursors that carry a page's
// position, and the page itself.
//
// A list answers {"items": [...], "next": "<cursor>"} and is read with ?limit= and
// ?cursor=. The application layer reads one row more than the limit to know whether a
// next page exists (see NewPage), and finds a page by the key of the row it follows,
// never by an offset, so pages stay stable and cheap however deep.
//
// A cursor is the unpadded base64url encoding of a prefix followed by the key of the
// last row of the previous page. The prefix is the list's own (customers use "c1:"):
// it tells one list's cursors from another's and versions the format, so that a list
// whose key changes can take a new prefix and reject the cursors of the old one
// instead of misreading them. Clients must treat cursors as opaque.
//
// The package knows no HTTP, storage or broker technology: application layers use it.
package paging

import (
	"encoding/base64"
	"fmt"
	"iter"
	"strconv"
	"strings"
)

// Page sizes a client may ask for with ?limit=.
const (
	// DefaultLimit is the page size when the client asks for none.
	DefaultLimit = 50
	// MaxLimit is the largest page a client may ask for.
	MaxLimit = 200
)

// ErrInvalidLimit is returned for a limit that is not an integer from 1 to MaxLimit.
var ErrInvalidLimit = &ParamError{Param: "limit",
	Detail: fmt.Sprintf("must be an integer between 1 and %d", MaxLimit),
	msg:    fmt.Sprintf("limit must be between 1 and %d", MaxLimit)}

// ErrInvalidCursor is returned for a cursor that the list did not hand out.
var ErrInvalidCursor = &ParamError{Param: "cursor", Detail: "is not a cursor handed out by this API",
	msg: "cursor is not valid"}

// ParamError is a paging parameter a client got wrong; ErrInvalidLimit and
// ErrInvalidCursor are its only values, so compare with errors.Is. It names the
// query parameter and what is wrong with it, the same words in every list, and
// yields them as a field error (the FieldErrors behaviour HTTP ports answer as a 400
// listing the fields).
type ParamError struct {
	// Param is the query parameter, "limit" or "cursor".
	Param string
	// Detail says what is wrong with it, for clients.
	Detail string
	msg    string
}

// Error implements error.
func (e *ParamError) Error() string { return e.msg }

// FieldErrors yields the parameter and its detail.
func (e *ParamError) FieldErrors() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) { yield(e.Param, e.Detail) }
}

// ParseLimit returns the page size a client asked for: DefaultLimit when s is empty,
// otherwise s read as a decimal integer by strconv.Atoi (a sign and leading zeros
// are allowed), which must be from 1 to MaxLimit; anything else is ErrInvalidLimit.
func ParseLimit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, ErrInvalidLimit
	}
	return n, nil
}

// EncodeCursor returns the cursor of the page that follows key in the list whose
// cursors start with prefix. The empty key is the start of the list, whose cursor is
// the empty one (the first page).
func EncodeCursor(prefix, key string) string {
	if key == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + key))
}

// DecodeCursor returns the key a cursor made by EncodeCursor with the same prefix
// carries, and "" for the empty cursor (the first page). Any other cursor (not
// unpadded base64url, without the prefix, or with nothing after it) is
// ErrInvalidCursor. The key is otherwise unchecked bytes: a list whose store cannot
// hold every string (Postgres text holds no NUL) must check it before querying.
// DecodeCursor never panics, whatever s holds.
func DecodeCursor(prefix, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", ErrInvalidCursor
	}
	key, ok := strings.CutPrefix(string(raw), prefix)
	if !ok || key == "" {
		return "", ErrInvalidCursor
	}
	return key, nil
}

// EncodePosition returns the cursor of the page that follows position pos in the list
// whose cursors start with prefix. Positions are positive (a row's serial number in
// the list's order); one below 1 stands for the start of the list and encodes as the
// empty cursor (the first page).
func EncodePosition(prefix string, pos int64) string {
	if pos < 1 {
		return ""
	}
	return EncodeCursor(prefix, strconv.FormatInt(pos, 10))
}

// DecodePosition returns the position a cursor made by EncodePosition with the same
// prefix carries, and 0 for the empty cursor (the first page: every position follows
// it). Any other cursor is ErrInvalidCursor, including one whose position is not
// positive or not written the way EncodePosition writes it (no sign, no leading zero),
// so that one position has one cursor. DecodePosition never panics, whatever s holds.
func DecodePosition(prefix, s string) (int64, error) {
	digits, err := DecodeCursor(prefix, s)
	if err != nil || digits == "" {
		return 0, err
	}
	pos, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || pos < 1 || strconv.FormatInt(pos, 10) != digits {
		return 0, ErrInvalidCursor
	}
	return pos, nil
}

// Page is one page of a list.
type Page[T any] struct {
	// Items holds at most the requested number of items, in the list's order.
	Items []T
	// Next is empty on the last page; otherwise it continues the list after Items:
	// the cursor of the following page (or, where a port makes the cursors, the key
	// it makes one from).
	Next string
}

// NewPage makes the page of at most limit items (limit must be at least 1) out of
// rows, which the caller read with a limit of limit+1: the extra row only tells that
// a next page exists, without counting the list. When rows holds more than limit
// items, Items is the first limit of them and Next is next(the last of those);
// otherwise Items is rows and Next is empty, without calling next.
func NewPage[T any](rows []T, limit int, next func(last T) string) Page[T] {
	if len(rows) <= limit {
		return Page[T]{Items: rows}
	}
	return Page[T]{Items: rows[:limit], Next: next(rows[limit-1])}
}
