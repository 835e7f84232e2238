// Package precondition is optimistic concurrency over HTTP (RFC 9110 13.1.1): a
// resource's version shown as a strong entity tag ("<version>") in ETag, and the
// If-Match of a write turned into a Precondition that the repository checks against
// the stored version, under the row's lock, in the transaction of the write. A stale
// write is refused (412) instead of silently overwriting someone else's change.
package precondition

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Header is the request header a Precondition comes from; field errors name it.
const Header = "If-Match"

// ErrMalformed is an If-Match header that is not "*" or a list of entity tags.
var ErrMalformed = errors.New("malformed If-Match header")

// Precondition is what a conditional write requires of the stored version. The zero
// value is none: the write is unconditional.
type Precondition struct {
	any      bool
	versions []int64
	set      bool
}

// Unconditional is no precondition (a write without If-Match).
var Unconditional = Precondition{}

// IfExists holds for any stored version (If-Match: *).
var IfExists = Precondition{any: true, set: true}

// IfVersion holds when the stored version is one of versions; with none it never holds
// (an If-Match naming only tags the service did not hand out).
func IfVersion(versions ...int64) Precondition {
	return Precondition{versions: versions, set: true}
}

// Holds reports whether a resource at version satisfies p.
func (p Precondition) Holds(version int64) bool {
	if !p.set || p.any {
		return true
	}
	return slices.Contains(p.versions, version)
}

// Conditional reports whether p is a real precondition (If-Match was sent).
func (p Precondition) Conditional() bool { return p.set }

// maxTags bounds the entity tags one If-Match may list.
const maxTags = 32

// ETag is the strong entity tag of version: "<version>".
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// FromRequest reads r's If-Match: absent is Unconditional, "*" is IfExists, a list of
// (at most 32) entity tags is IfVersion of the versions they name ("0" names the
// version of what does not exist yet, where a service counts that as version 0). Comparison is strong: a weak tag
// (W/"3") or a tag the service never hands out names no version, so it fails the write
// (412) rather than being ignored. Several If-Match lines are one list. Anything else
// is ErrMalformed (400).
func FromRequest(r *http.Request) (Precondition, error) {
	lines := r.Header.Values(Header)
	if len(lines) == 0 {
		return Unconditional, nil
	}
	header := strings.TrimSpace(strings.Join(lines, ","))
	if header == "*" {
		return IfExists, nil
	}
	var versions []int64
	tags := 0
	parts := strings.Split(header, ",")
	if len(parts) > maxTags {
		return Precondition{}, ErrMalformed
	}
	for _, part := range parts {
		tag := strings.Trim(part, " \t")
		if tag == "" {
			continue // the list syntax allows empty elements
		}
		weak := strings.HasPrefix(tag, "W/")
		opaque, ok := strings.CutPrefix(strings.TrimPrefix(tag, "W/"), `"`)
		if !ok {
			return Precondition{}, ErrMalformed
		}
		opaque, ok = strings.CutSuffix(opaque, `"`)
		if !ok || !validEtagChars(opaque) {
			return Precondition{}, ErrMalformed
		}
		tags++
		if weak {
			continue
		}
		if v, err := strconv.ParseInt(opaque, 10, 64); err == nil && v >= 0 && strconv.FormatInt(v, 10) == opaque {
			versions = append(versions, v)
		}
	}
	if tags == 0 {
		return Precondition{}, ErrMalformed
	}
	return IfVersion(versions...), nil
}

// validEtagChars reports whether s is made of etagc: %x21 / %x23-7E / obs-text.
func validEtagChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c == '"' || c == 0x7F {
			return false
		}
	}
	return true
}
