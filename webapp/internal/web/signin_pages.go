package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	accounts "github.com/pitstop/pitstop/webapp/internal/identity"
)

// signinData is the data of signin.html and password.html.
type signinData struct {
	Layout
	Form *Form
	Next string
}

// safeNext is where to go after signing in: next when it is a path of this site
// (not "//host", not a URL with a scheme, not the sign-in page), "/" otherwise.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/signin" || u.Path == "/signout" {
		return "/"
	}
	return next
}

// signinToken is the sign-in form's CSRF token: the cookie's when it has one, a new
// one (set as the cookie) otherwise.
func (h *Handlers) signinToken(w http.ResponseWriter, r *http.Request, fresh bool) string {
	if c, err := r.Cookie(signinCookie); err == nil && !fresh && len(c.Value) >= 43 && len(c.Value) <= 64 {
		return c.Value
	}
	tok := accounts.RandomSecret(32)
	http.SetCookie(w, h.cookie(signinCookie, tok, "/signin", 3600))
	return tok
}

func (h *Handlers) signinForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, err := h.Identity.Session(r.Context(), c.Value); err == nil {
			seeOther(w, r, next)
			return
		}
	}
	tok := h.signinToken(w, r, false)
	h.renderSignin(w, withCSRF(r, tok), http.StatusOK, newForm(nil), next)
}

func (h *Handlers) renderSignin(w http.ResponseWriter, r *http.Request, status int, f *Form, next string) {
	h.render(w, r, status, "signin.html", signinData{Layout: Layout{Title: "Sign in", Nav: "signin"}, Form: f, Next: next})
}

func (h *Handlers) signin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	user, password := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	f := newForm(cloneForm(r.PostForm))
	next := safeNext(f.Get("next"))
	f.Set("password", "") // never shown again
	c, err := r.Cookie(signinCookie)
	if err != nil || !tokensEqual(r.PostForm.Get(csrfField), c.Value) {
		tok := h.signinToken(w, r, true)
		f.FailGeneral("The sign-in form had expired; please sign in again.")
		h.renderSignin(w, withCSRF(r, tok), http.StatusForbidden, f, next)
		return
	}
	r = withCSRF(r, c.Value)
	if user == "" {
		f.Fail("username", "is required")
	}
	if password == "" {
		f.Fail("password", "is required")
	}
	if !f.OK() {
		h.renderSignin(w, r, http.StatusBadRequest, f, next)
		return
	}
	st, err := h.Identity.AuthenticateStaff(r.Context(), user, password, clientAddr(r))
	var rl *accounts.RateLimited
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(rl.RetryAfter.Seconds()))))
		f.FailGeneral(fmt.Sprintf("Too many failed sign-ins. Try again in %s.", minutes(rl.RetryAfter.Seconds())))
		h.renderSignin(w, r, http.StatusTooManyRequests, f, next)
		return
	case errors.Is(err, accounts.ErrBadCredentials):
		f.FailGeneral("Wrong user name or password.")
		h.renderSignin(w, r, http.StatusUnauthorized, f, next)
		return
	case err != nil:
		h.internalError(w, r, "sign-in", err)
		return
	}
	// A new session id at every sign-in (no fixation); the old session, if any, ends.
	if old, err := r.Cookie(sessionCookie); err == nil {
		_ = h.Identity.EndSession(r.Context(), old.Value)
	}
	id, ses, err := h.Identity.CreateSession(r.Context(), st.ID)
	if err != nil {
		h.internalError(w, r, "sign-in", err)
		return
	}
	h.Log.InfoContext(r.Context(), "signed in", "user", st.UserName, "role", st.Role)
	http.SetCookie(w, h.cookie(sessionCookie, id, "/", int(ses.ExpiresAt.Sub(ses.CreatedAt).Seconds())))
	http.SetCookie(w, h.cookie(signinCookie, "", "/signin", -1))
	if st.MustChangePassword {
		next = "/account/password"
	}
	seeOther(w, r, next)
}

func cloneForm(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func minutes(secs float64) string {
	m := int(math.Ceil(secs / 60))
	if m <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

func (h *Handlers) signout(w http.ResponseWriter, r *http.Request) {
	if id := sessionID(r.Context()); id != "" {
		if err := h.Identity.EndSession(r.Context(), id); err != nil {
			h.internalError(w, r, "sign-out", err)
			return
		}
		if ses, ok := r.Context().Value(viewerKey{}).(Viewer); ok {
			h.Log.InfoContext(r.Context(), "signed out", "user", ses.UserName)
		}
	}
	h.tokens.drop(accounts.SessionKey(sessionID(r.Context())))
	http.SetCookie(w, h.cookie(sessionCookie, "", "/", -1))
	seeOther(w, r, "/signin")
}

func (h *Handlers) renderPassword(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	h.render(w, r, status, "password.html", signinData{Layout: Layout{Title: "Change your password", Nav: "password"}, Form: f})
}

func (h *Handlers) passwordForm(w http.ResponseWriter, r *http.Request) {
	h.renderPassword(w, r, http.StatusOK, newForm(nil))
}

func (h *Handlers) changePassword(w http.ResponseWriter, r *http.Request) {
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	current, pw, confirm := f.Get("current"), f.Get("password"), f.Get("confirm")
	for _, n := range []string{"current", "password", "confirm"} {
		f.Set(n, "")
	}
	if current == "" {
		f.Fail("current", "is required")
	}
	if pw != confirm {
		f.Fail("confirm", "does not match the new password")
	}
	if !f.OK() {
		h.renderPassword(w, r, http.StatusBadRequest, f)
		return
	}
	err := h.Identity.ChangePassword(r.Context(), viewerFrom(r.Context()).UserName, current, pw, clientAddr(r), sessionID(r.Context()))
	var rl *accounts.RateLimited
	status := http.StatusBadRequest
	switch {
	case err == nil:
		seeOther(w, r, "/")
		return
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(rl.RetryAfter.Seconds()))))
		f.FailGeneral(fmt.Sprintf("Too many wrong passwords. Try again in %s.", minutes(rl.RetryAfter.Seconds())))
		status = http.StatusTooManyRequests
	case errors.Is(err, accounts.ErrBadCredentials):
		f.Fail("current", "is not your current password")
	case errors.Is(err, accounts.ErrInvalid):
		if !h.fieldErrors(f, err, map[string]string{"password": "password"}) {
			f.FailGeneral(err.Error())
		}
	default:
		h.internalError(w, r, "change password", err)
		return
	}
	h.renderPassword(w, r, status, f)
}
