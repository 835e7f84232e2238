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

// parseIfMatch reads the optional If-Match header of a write: absent or "*" is no
// precondition (nil); otherwise a comma-separated list of entity tags, the planning
// having to be at the version of one of its strong tags "n" (n as handed out in ETag).
// Weak tags (W/"n") are valid but never match (If-Match compares strongly), so a list
// of only weak tags fails as a stale one (412). Anything else (no quotes, a tag that is
// not a version, an empty list) is a 400 naming the header "If-Match".
func parseIfMatch(r *http.Request) (application.IfMatch, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return nil, nil
	}
	v := strings.TrimSpace(strings.Join(values, ","))
	if v == "*" {
		return nil, nil
	}
	versions := application.IfMatch{}
	tags := strings.Split(v, ",")
	for _, t := range tags {
		t = strings.TrimSpace(t)
		weak := strings.HasPrefix(t, "W/")
		t = strings.TrimPrefix(t, "W/")
		n, ok := version(t)
		if !ok || len(tags) > 32 {
			verr := &problem.ValidationError{}
			verr.Add("If-Match", `must be * or entity tags handed out in ETag, like "3"`)
			return nil, verr
		}
		if !weak {
			versions = append(versions, n)
		}
	}
	return versions, nil
}

// version parses a quoted version "n" (digits without a leading zero, at most 10).
func version(tag string) (int, bool) {
	if len(tag) < 3 || len(tag) > 12 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	digits := tag[1 : len(tag)-1]
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || strconv.Itoa(n) != digits {
		return 0, false
	}
	return n, true
}
