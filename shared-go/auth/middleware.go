package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pitstop/pitstop/shared-go/problem"
)

// Problem types of refused requests.
const (
	ProblemUnauthenticated = "https://pitstop.example/problems/unauthenticated"
	ProblemForbidden       = "https://pitstop.example/problems/forbidden"
)

// BearerToken is the token of r's "Authorization: Bearer <token>" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Middleware lets a request through only with a valid token (401 otherwise, with a
// WWW-Authenticate challenge) of a principal the policy allows for the method and path
// (403 otherwise). The principal and its actor go on the request's context
// (FromContext, events.ActorFrom).
func Middleware(v *Verifier, p Policy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pr, ok := Authenticate(w, r, v)
			if !ok {
				return
			}
			if !p.Allows(pr, r.Method, r.URL.Path) {
				Forbid(w, r, p.Required(r.Method, r.URL.Path))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), pr)))
		})
	}
}

// Authenticate verifies r's bearer token; when there is none or it is not valid it
// answers 401 and returns false.
func Authenticate(w http.ResponseWriter, r *http.Request, v *Verifier) (Principal, bool) {
	tok := BearerToken(r)
	if tok == "" {
		Unauthenticated(w, r, "", "this resource needs a bearer token: get one from POST /api/token")
		return Principal{}, false
	}
	pr, err := v.Verify(tok)
	if err != nil {
		detail := "the bearer token is not valid"
		if errors.Is(err, ErrExpired) {
			detail = "the bearer token has expired: get a new one from POST /api/token"
		}
		Unauthenticated(w, r, "invalid_token", detail)
		return Principal{}, false
	}
	return pr, true
}

// Unauthenticated answers 401 with a Bearer challenge (RFC 6750) naming code, if any.
func Unauthenticated(w http.ResponseWriter, r *http.Request, code, detail string) {
	c := `Bearer realm="pitstop"`
	if code != "" {
		c += fmt.Sprintf(`, error=%q, error_description=%q`, code, detail)
	}
	w.Header().Set("WWW-Authenticate", c)
	problem.Write(w, r, problem.Problem{Type: ProblemUnauthenticated, Title: "Authentication required",
		Status: http.StatusUnauthorized, Detail: detail})
}

// Forbid answers 403: the principal is known but its roles do not allow the request.
func Forbid(w http.ResponseWriter, r *http.Request, need []Role) {
	names := make([]string, len(need))
	for i, n := range need {
		names[i] = string(n)
	}
	problem.Write(w, r, problem.Problem{Type: ProblemForbidden, Title: "Not allowed for your role",
		Status: http.StatusForbidden, Detail: "this needs one of the roles: " + strings.Join(names, ", ")})
}
