package ports

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pitstop/pitstop/vehicles/internal/application"
)

// headerIfMatch names the If-Match request header in field errors.
const headerIfMatch = "If-Match"

// errBadIfMatch is an If-Match header that is not "*" or a list of entity tags.
var errBadIfMatch = errors.New("malformed If-Match header")

// etag is the strong entity tag of a vehicle's version: "<version>".
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// precondition reads If-Match (RFC 9110 13.1.1): absent is Unconditional, "*" is
// IfExists, a list of entity tags is IfVersion of the versions they name. Comparison
// is strong: a weak tag (W/"3") or a tag this service never hands out names no
// version, so it fails the update (412) rather than being ignored. Several If-Match
// lines are one list. Anything else is errBadIfMatch.
func precondition(r *http.Request) (application.Precondition, error) {
	lines := r.Header.Values(headerIfMatch)
	if len(lines) == 0 {
		return application.Unconditional, nil
	}
	header := strings.TrimSpace(strings.Join(lines, ","))
	if header == "*" {
		return application.IfExists, nil
	}
	var versions []int64
	tags := 0
	for _, part := range strings.Split(header, ",") {
		tag := strings.Trim(part, " \t")
		if tag == "" {
			continue // the list syntax allows empty elements
		}
		weak := strings.HasPrefix(tag, "W/")
		opaque, ok := strings.CutPrefix(strings.TrimPrefix(tag, "W/"), `"`)
		if !ok {
			return application.Precondition{}, errBadIfMatch
		}
		opaque, ok = strings.CutSuffix(opaque, `"`)
		if !ok || !validEtagChars(opaque) {
			return application.Precondition{}, errBadIfMatch
		}
		tags++
		if weak {
			continue
		}
		if v, err := strconv.ParseInt(opaque, 10, 64); err == nil && v > 0 && strconv.FormatInt(v, 10) == opaque {
			versions = append(versions, v)
		}
	}
	if tags == 0 {
		return application.Precondition{}, errBadIfMatch
	}
	return application.IfVersion(versions...), nil
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
