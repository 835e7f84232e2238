package ports

import (
	"net/http"

	"github.com/pitstop/pitstop/shared-go/precondition"

	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
)

// setETag sets the strong entity tag of a planning at version: its version, quoted.
func setETag(w http.ResponseWriter, version int) {
	w.Header().Set("ETag", precondition.ETag(int64(version)))
}

// parseIfMatch reads the optional If-Match of a write (shared-go/precondition): absent
// or "*" is no precondition; entity tags "n" expect the planning at one of versions n
// (a weak tag never matches: 412); anything else is a 400 naming the header.
func parseIfMatch(r *http.Request) (application.IfMatch, error) {
	p, err := precondition.FromRequest(r)
	if err != nil {
		verr := &problem.ValidationError{}
		verr.Add(precondition.Header, `must be * or entity tags handed out in ETag, like "3"`)
		return p, verr
	}
	return p, nil
}
