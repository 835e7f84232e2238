package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strings"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/validation"
	accounts "github.com/pitstop/pitstop/webapp/internal/identity"
)

// tokenRequest is POST /api/token's body: a staff account's user name and password,
// or an API client's name and secret.
type tokenRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Client   string `json:"client"`
	Secret   string `json:"secret"`
}

// tokenResponse is its answer (RFC 6749 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// issueToken is POST /api/token: a bearer token for a staff account or an API client
// (JSON or form body), rate-limited as the sign-in page is.
func (h *Handlers) issueToken(w http.ResponseWriter, r *http.Request) {
	var in tokenRequest
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || dec.More() {
			problem.Status(w, r, http.StatusBadRequest, "the body is not a JSON object of username and password, or client and secret")
			return
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			problem.Status(w, r, http.StatusBadRequest, "the form could not be read")
			return
		}
		in = tokenRequest{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password"),
			Client: r.PostForm.Get("client"), Secret: r.PostForm.Get("secret")}
	default:
		problem.Write(w, r, problem.Problem{Status: http.StatusUnsupportedMediaType,
			Detail: "send application/json or application/x-www-form-urlencoded"})
		return
	}
	v := &validation.Error{}
	staff := in.Username != "" || in.Password != ""
	client := in.Client != "" || in.Secret != ""
	switch {
	case staff && client:
		v.Add("client", "give either username and password, or client and secret")
	case staff:
		if strings.TrimSpace(in.Username) == "" {
			v.Add("username", "is required")
		}
		if in.Password == "" {
			v.Add("password", "is required")
		}
	case client:
		if strings.TrimSpace(in.Client) == "" {
			v.Add("client", "is required")
		}
		if in.Secret == "" {
			v.Add("secret", "is required")
		}
	default:
		v.Add("username", "give either username and password, or client and secret")
	}
	if len(v.Fields) > 0 {
		problem.Validation(w, r, v)
		return
	}
	var (
		p   auth.Principal
		err error
	)
	if staff {
		var st accounts.Staff
		st, err = h.Identity.AuthenticateStaff(r.Context(), in.Username, in.Password, clientAddr(r))
		if err == nil && st.MustChangePassword {
			problem.Write(w, r, problem.Problem{Type: auth.ProblemForbidden, Title: "Password change required",
				Status: http.StatusForbidden, Detail: "sign in on the web app and choose a new password first"})
			return
		}
		p = st.Principal()
	} else {
		var c accounts.Client
		c, err = h.Identity.AuthenticateClient(r.Context(), in.Client, in.Secret, clientAddr(r))
		p = c.Principal()
	}
	var rl *accounts.RateLimited
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(rl.RetryAfter.Seconds()))))
		problem.Write(w, r, problem.Problem{Type: "https://pitstop.example/problems/too-many-attempts",
			Title: "Too many failed attempts", Status: http.StatusTooManyRequests,
			Detail: "too many failed sign-ins for this account or from this address; try again later"})
		return
	case errors.Is(err, accounts.ErrBadCredentials):
		problem.Write(w, r, problem.Problem{Type: auth.ProblemUnauthenticated, Title: "Wrong credentials",
			Status: http.StatusUnauthorized, Detail: "wrong user name or password, or client or secret"})
		return
	case err != nil:
		h.Log.ErrorContext(r.Context(), "token failed", "err", err)
		problem.Status(w, r, http.StatusInternalServerError, "something went wrong; it has been logged")
		return
	}
	tok, _, err := h.Signer.Issue(p)
	if err != nil {
		h.Log.ErrorContext(r.Context(), "token failed", "err", err)
		problem.Status(w, r, http.StatusInternalServerError, "something went wrong; it has been logged")
		return
	}
	h.Log.InfoContext(r.Context(), "token issued", "subject", p.Subject, "roles", p.Roles)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(tokenResponse{AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int(math.Round(h.Signer.TTL().Seconds()))})
}
