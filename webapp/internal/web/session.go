package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
	accounts "github.com/pitstop/pitstop/webapp/internal/identity"
)

// Cookie names.
const (
	sessionCookie = "pitstop_session"
	// signinCookie holds the sign-in form's CSRF token before there is a session
	// (double submit: the form's csrf_token must equal it).
	signinCookie = "pitstop_signin"
	csrfField    = "csrf_token"
	csrfHeader   = "X-CSRF-Token"
)

// Viewer is the signed-in staff member a page is rendered for (zero: nobody).
type Viewer struct {
	UserName string
	Name     string
	Role     auth.Role
}

// SignedIn reports whether someone is signed in.
func (v Viewer) SignedIn() bool { return v.UserName != "" }

// Can reports whether v may act in one of roles (names of auth.Roles); an
// administrator may always.
func (v Viewer) Can(roles ...string) bool {
	if !v.SignedIn() {
		return false
	}
	return v.Role == auth.Administrator || slices.Contains(roles, string(v.Role))
}

// RoleName is the role as the pages name it.
func (v Viewer) RoleName() string { return roleName(v.Role) }

func roleName(r auth.Role) string {
	switch r {
	case auth.FrontDesk:
		return "front desk"
	case auth.Planner:
		return "planner"
	case auth.Mechanic:
		return "mechanic"
	case auth.Administrator:
		return "administrator"
	}
	return string(r)
}

type viewerKey struct{}
type csrfKey struct{}

func viewerFrom(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

func csrfFrom(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

func withCSRF(r *http.Request, token string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), csrfKey{}, token))
}

var layoutType = reflect.TypeFor[Layout]()

// withViewer returns data with the Viewer of its embedded Layout set to v: a copy
// when data is a struct value, data itself when it is a pointer to one.
func withViewer(data any, v Viewer) any {
	if !v.SignedIn() || data == nil {
		return data
	}
	rv := reflect.ValueOf(data)
	switch {
	case rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct:
		setViewer(rv.Elem(), v)
		return data
	case rv.Kind() == reflect.Struct:
		cp := reflect.New(rv.Type()).Elem()
		cp.Set(rv)
		if setViewer(cp, v) {
			return cp.Interface()
		}
	}
	return data
}

func setViewer(s reflect.Value, v Viewer) bool {
	if s.Type() == layoutType {
		s.FieldByName("Viewer").Set(reflect.ValueOf(v))
		return true
	}
	f, ok := s.Type().FieldByName("Layout")
	if !ok || !f.Anonymous || f.Type != layoutType {
		return false
	}
	lf := s.FieldByIndex(f.Index)
	if !lf.CanSet() {
		return false
	}
	lf.FieldByName("Viewer").Set(reflect.ValueOf(v))
	return true
}

// postForm matches the opening tag of a form that posts (html/template writes the
// attribute values in double quotes).
var postForm = regexp.MustCompile(`(?i)<form\b[^>]*\bmethod="post"[^>]*>`)

// injectCSRF inserts the hidden csrf_token input after every posting form's opening
// tag.
func injectCSRF(page []byte, token string) []byte {
	if token == "" {
		return page
	}
	input := []byte(`<input type="hidden" name="` + csrfField + `" value="` + template.HTMLEscapeString(token) + `">`)
	return postForm.ReplaceAllFunc(page, func(tag []byte) []byte {
		return append(append([]byte{}, tag...), input...)
	})
}

// secureCookie is a cookie with the flags every Pitstop cookie has.
func (h *Handlers) cookie(name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: !h.InsecureCookies, SameSite: http.SameSiteLaxMode}
}

// requireSession lets a request through only with a live session: the request then
// carries the viewer, the staff member's principal (auth.FromContext) and a bearer
// token for the API calls (apiclient.WithToken). Without one, a GET is redirected to
// the sign-in page, which comes back to it afterwards. While the account must change
// its password, every other page redirects to the password page.
func (h *Handlers) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var ses accounts.Session
		if err == nil {
			ses, err = h.Identity.Session(r.Context(), c.Value)
		}
		if err != nil {
			if !errors.Is(err, http.ErrNoCookie) && !errors.Is(err, accounts.ErrNotFound) {
				h.internalError(w, r, "session", err)
				return
			}
			if c != nil {
				http.SetCookie(w, h.cookie(sessionCookie, "", "/", -1))
			}
			target := "/signin"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		p := ses.Staff.Principal()
		tok, err := h.tokens.get(h.Signer, ses.Key, p, time.Now()) // the signer's clock, not the pages'
		if err != nil {
			h.internalError(w, r, "token", err)
			return
		}
		ctx := auth.WithPrincipal(r.Context(), p)
		ctx = apiclient.WithToken(ctx, tok)
		ctx = context.WithValue(ctx, viewerKey{}, Viewer{UserName: ses.Staff.UserName, Name: ses.Staff.DisplayName, Role: ses.Staff.Role})
		ctx = context.WithValue(ctx, csrfKey{}, ses.CSRF)
		ctx = context.WithValue(ctx, sessionKey{}, c.Value)
		r = r.WithContext(ctx)
		if ses.Staff.MustChangePassword && r.URL.Path != "/account/password" && r.URL.Path != "/signout" {
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type sessionKey struct{}

// sessionID is the cookie value of the request's session ("" if none).
func sessionID(ctx context.Context) string {
	s, _ := ctx.Value(sessionKey{}).(string)
	return s
}

// checkCSRF refuses every request other than GET, HEAD and OPTIONS whose csrf_token
// form field (or X-CSRF-Token header) is not its session's token.
func (h *Handlers) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		got := r.Header.Get(csrfHeader)
		if got == "" {
			if err := r.ParseForm(); err != nil {
				h.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
				return
			}
			got = r.PostForm.Get(csrfField)
		}
		if !tokensEqual(got, csrfFrom(r.Context())) {
			h.errorPage(w, r, http.StatusForbidden, "Form expired",
				"This form is not from your current session (it may have expired, or come from elsewhere). "+
					"Go back, reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func tokensEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// requireRole lets through only viewers with one of roles (administrators always);
// others get a 403 page.
func (h *Handlers) requireRole(roles ...auth.Role) func(http.Handler) http.Handler {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !viewerFrom(r.Context()).Can(names...) {
				who := make([]string, 0, len(roles)+1)
				for _, ro := range roles {
					if ro != auth.Administrator {
						who = append(who, roleName(ro))
					}
				}
				who = append(who, "administrator")
				h.errorPage(w, r, http.StatusForbidden, "Not allowed",
					"This is for the "+strings.Join(who, ", ")+" role; you are signed in as "+
						viewerFrom(r.Context()).RoleName()+".")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func (h *Handlers) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.Log.ErrorContext(r.Context(), what+" failed", "err", err, "request_id", middleware.GetReqID(r.Context()))
	h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "Something went wrong; it has been logged. Try again.")
}

// clientAddr is the address failed sign-ins are counted against: the peer's IP (not
// a forwarded header, which the client could choose).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// tokenCache keeps each session's bearer token until a minute before it expires.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	token string
	exp   time.Time
}

func (c *tokenCache) get(s *auth.Signer, key string, p auth.Principal, now time.Time) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[key]; ok && now.Before(t.exp.Add(-time.Minute)) {
		return t.token, nil
	}
	tok, exp, err := s.Issue(p)
	if err != nil {
		return "", err
	}
	if len(c.m) > 10000 {
		for k, t := range c.m {
			if !now.Before(t.exp) {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = cachedToken{token: tok, exp: exp}
	return tok, nil
}

func (c *tokenCache) drop(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}
