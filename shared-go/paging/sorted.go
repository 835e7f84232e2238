package paging

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pitstop/pitstop/shared-go/validation"
)

// EncodeKeyCursor is the cursor of a list sorted by a value other than its position:
// the last row's sort value and position (the tie-breaker), behind prefix (which names
// the order, so a cursor of one order is refused by another).
func EncodeKeyCursor(prefix string, position int64, value string) string {
	return EncodeCursor(prefix, strconv.FormatInt(position, 10)+":"+value)
}

// DecodeKeyCursor reads an EncodeKeyCursor cursor; "" is the first page (0, "").
// The value comes back to a store as a query argument, so it must be text Postgres
// can hold (valid UTF-8 without NUL); anything else is ErrInvalidCursor.
func DecodeKeyCursor(prefix, s string) (position int64, value string, err error) {
	key, err := DecodeCursor(prefix, s)
	if err != nil || key == "" {
		return 0, "", err
	}
	digits, value, ok := strings.Cut(key, ":")
	if !ok {
		return 0, "", ErrInvalidCursor
	}
	pos, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || pos < 1 || strconv.FormatInt(pos, 10) != digits ||
		!utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
		return 0, "", ErrInvalidCursor
	}
	return pos, value, nil
}

// SearchParam trims the search parameter s and checks it is searchable: valid UTF-8,
// no control characters (Postgres text cannot hold NUL), at most max characters. A bad
// one is added to verr under param and comes back "".
func SearchParam(verr *validation.Error, param, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		verr.Add(param, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		verr.Add(param, "must be at most "+strconv.Itoa(max)+" characters")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		verr.Add(param, "must not contain control characters")
	default:
		return s
	}
	return ""
}
