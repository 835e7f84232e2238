package ports

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
)

// setETag sets the strong entity tag of a planning at version: its version, quoted.
func setETag(w http.ResponseWriter, version int) {
	w.Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
}

// neverMatches is an expected version no planning has (a weak tag never matches).
var neverMatches = -1

// parseIfMatch reads the optional If-Match header of a write: absent or "*" is no
// precondition (nil); one strong entity tag "n" (n a version, as handed out in ETag)
// expects version n; a weak tag W/"n" is valid but never matches (If-Match compares
// strongly), so it fails as a stale one (412). Anything else (several tags, no
// quotes, a tag that is not a version) is a 400 naming the header "If-Match".
func parseIfMatch(r *http.Request) (application.IfMatch, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return nil, nil
	}
	v := strings.TrimSpace(strings.Join(values, ","))
	if v == "*" {
		return nil, nil
	}
	weak := strings.HasPrefix(v, "W/")
	tag := strings.TrimPrefix(v, "W/")
	if len(tag) >= 3 && len(tag) <= 12 && tag[0] == '"' && tag[len(tag)-1] == '"' {
		digits := tag[1 : len(tag)-1]
		if n, err := strconv.Atoi(digits); err == nil && n >= 0 && strconv.Itoa(n) == digits {
			if weak {
				return &neverMatches, nil
			}
			return &n, nil
		}
	}
	verr := &problem.ValidationError{}
	verr.Add("If-Match", `must be one entity tag handed out in ETag, like "3" (or *)`)
	return nil, verr
}
