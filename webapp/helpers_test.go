package webapp_test

import (
	"context"
	"crypto/ed25519"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
	"github.com/pitstop/pitstop/webapp/internal/identity"
)

// garage is the test's time zone and now is its clock: "today" is 2030-05-06.
var (
	garage = time.FixedZone("CEST", 2*60*60)
	now    = time.Date(2030, 5, 6, 9, 30, 0, 0, garage)
)

const today = "2030-05-06"

// env is a webapp in front of the fake APIs, signed in (as administrator unless the
// test signs in as someone else): do sends the session cookie and, on a POST, the
// session's CSRF token (post puts it in the form, do in the X-CSRF-Token header if the
// request has none), and on /api requests the administrator's bearer token.
type env struct {
	t   *testing.T
	api *fakeAPI
	app *webapp.WebApp
	srv *httptest.Server
	// key signs the webapp's tokens; pool is its database.
	key  ed25519.PrivateKey
	pool *pgxpool.Pool
	// session and csrf are the signed-in session's cookie value and CSRF token ("" for
	// none); token is a bearer token for /api requests.
	session, csrf, token string
}

// adminPassword is the first administrator's password in tests.
const adminPassword = "admin's test password"

// fastHashing keeps argon2id cheap in tests.
var fastHashing = identity.Config{Argon2: identity.Argon2Params{Memory: 1024, Time: 1, Threads: 1}}

// withAuth fills in the options every webapp needs: a fresh database, a signing key,
// the first administrator's password and cheap password hashing.
func withAuth(t *testing.T, o *webapp.Options) {
	t.Helper()
	if o.Pool == nil {
		o.Pool = testutil.Pool(t, testutil.Database(t), webapp.Schema)
	}
	if o.SigningKey == nil {
		_, priv, err := auth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		o.SigningKey = priv
	}
	if o.AdminPassword == "" {
		o.AdminPassword = adminPassword
	}
	if o.Identity.Argon2 == (identity.Argon2Params{}) {
		o.Identity.Argon2 = fastHashing.Argon2
	}
}

// deadURL is the URL of a service that is down.
func deadURL(t *testing.T) string { return testutil.DeadURL(t) }

// start serves a webapp over fresh fake APIs; down names services that are down.
func start(t *testing.T, configure func(*webapp.Options), down ...string) *env {
	t.Helper()
	api := startFakeAPI(t)
	o := webapp.Options{
		Upstreams: map[string][]string{
			webapp.Customers: {api.CustomersURL}, webapp.Vehicles: {api.VehiclesURL}, webapp.Workshop: {api.WorkshopURL},
			webapp.Timekeeper: {api.TimekeeperURL}, webapp.Notifications: {api.NotificationsURL},
			webapp.Invoicing: {api.InvoicingURL},
		},
		Log: testutil.Logger(t), Registry: prometheus.NewRegistry(), Location: garage,
		Now: func() time.Time { return now },
	}
	for _, s := range down {
		o.Upstreams[s] = []string{deadURL(t)}
	}
	if configure != nil {
		configure(&o)
	}
	withAuth(t, &o)
	a, err := webapp.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler(64 << 10))
	t.Cleanup(srv.Close)
	e := &env{t: t, api: api, app: a, srv: srv, key: o.SigningKey, pool: o.Pool}
	e.signIn("admin", adminPassword)
	e.token = e.issue(auth.Administrator)
	return e
}

// issue is a bearer token of the webapp's key for a principal with role.
func (e *env) issue(role auth.Role) string {
	e.t.Helper()
	tok, _, err := auth.NewSigner(e.key, 0).Issue(auth.Principal{Subject: "test-" + string(role), Kind: auth.KindStaff,
		Roles: []auth.Role{role}})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// signIn signs in through the sign-in page as a browser does (its form's CSRF cookie
// and token) and keeps the session; it fails the test unless that works.
func (e *env) signIn(user, password string) {
	e.t.Helper()
	p := e.trySignIn(user, password, "")
	if p.status != http.StatusSeeOther || e.session == "" {
		e.t.Fatalf("sign in as %s: status %d, session %q:\n%s", user, p.status, e.session, p.body)
	}
	home := e.get("/account/password")
	if e.csrf = home.hidden("csrf_token"); e.csrf == "" {
		e.t.Fatalf("no CSRF token on the pages:\n%s", home.body)
	}
}

// trySignIn gets the sign-in form and posts user and password from address ip (the
// X-Forwarded-For is ignored by the rate limit: all come from 127.0.0.1); it keeps the
// session cookie the answer sets, if any.
func (e *env) trySignIn(user, password, next string) page {
	e.t.Helper()
	form := e.getAnonymous("/signin")
	if form.status != http.StatusOK {
		e.t.Fatalf("sign-in form: %d", form.status)
	}
	var signinCookie string
	for _, c := range cookies(form.header) {
		if c.Name == "pitstop_signin" {
			signinCookie = c.Value
		}
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/signin", strings.NewReader(url.Values{
		"username": {user}, "password": {password}, "next": {next}, "csrf_token": {form.hidden("csrf_token")}}.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "pitstop_signin="+signinCookie)
	p := e.send(req)
	for _, c := range cookies(p.header) {
		if c.Name == "pitstop_session" && c.MaxAge > 0 {
			e.session = c.Value
		}
	}
	return p
}

// cookies are the cookies an answer sets.
func cookies(h http.Header) []*http.Cookie {
	return (&http.Response{Header: h}).Cookies()
}

// getAnonymous fetches a page without the session.
func (e *env) getAnonymous(path string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	return e.send(req)
}

// page is one answer.
type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

var noRedirect = &http.Client{Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) do(req *http.Request) page {
	e.t.Helper()
	e.authorize(req)
	return e.send(req)
}

// authorize adds what a signed-in browser (or, under /api/, an API client) sends and
// req lacks: the session cookie and, unless GET, the CSRF header; under /api/ the
// bearer token.
func (e *env) authorize(req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/api/") {
		if req.Header.Get("Authorization") == "" && e.token != "" {
			req.Header.Set("Authorization", "Bearer "+e.token)
		}
		return
	}
	if req.Header.Get("Cookie") == "" && e.session != "" {
		req.Header.Set("Cookie", "pitstop_session="+e.session)
	}
	if req.Method != http.MethodGet && req.Header.Get("X-CSRF-Token") == "" && e.csrf != "" {
		req.Header.Set("X-CSRF-Token", e.csrf)
	}
}

// send sends req as it is.
func (e *env) send(req *http.Request) page {
	e.t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b), location: resp.Header.Get("Location")}
}

// get fetches a page as a browser would.
func (e *env) get(path string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	return e.do(req)
}

// post submits a form (with the session's CSRF token).
func (e *env) post(path string, form url.Values) page {
	e.t.Helper()
	if e.csrf != "" && form.Get("csrf_token") == "" {
		form = cloneValues(form)
		form.Set("csrf_token", e.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	if e.session != "" {
		req.Header.Set("Cookie", "pitstop_session="+e.session)
	}
	return e.send(req) // the token travels in the form, as from a page
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// expect fails unless p has status and contains every text (HTML-unescaped).
func (p page) expect(t *testing.T, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
	text := html.UnescapeString(p.body)
	for _, s := range texts {
		if !strings.Contains(text, s) {
			t.Fatalf("page does not contain %q:\n%s", s, p.body)
		}
	}
}

// lacks fails if p contains any of texts.
func (p page) lacks(t *testing.T, texts ...string) {
	t.Helper()
	text := html.UnescapeString(p.body)
	for _, s := range texts {
		if strings.Contains(text, s) {
			t.Fatalf("page contains %q:\n%s", s, p.body)
		}
	}
}

// fieldError is the error shown next to a form field ("" if none).
func (p page) fieldError(name string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(name) + `-error">([^<]*)</p>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// hidden is the value of a form's hidden input.
func (p page) hidden(name string) string {
	m := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)">`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// inputValue is the value of a form input.
func (p page) inputValue(name string) string {
	m := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(name) + `" name="` + regexp.QuoteMeta(name) + `" type="[a-z]+" value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// Test data.
var (
	jane = apiclient.Customer{CustomerID: "4b1a0f59-7a44-4e8c-9a0b-0d1f2e3c4d5e", Name: "Jane Doe", Address: "Main Street 1",
		PostalCode: "1234 AB", City: "Utrecht", TelephoneNumber: "+31 30 123 4567", EmailAddress: "jane@example.com"}
	jansCar = apiclient.Vehicle{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: jane.CustomerID}
)

func customerForm(c apiclient.Customer) url.Values {
	return url.Values{"customerId": {c.CustomerID}, "name": {c.Name}, "address": {c.Address}, "postalCode": {c.PostalCode},
		"city": {c.City}, "telephoneNumber": {c.TelephoneNumber}, "emailAddress": {c.EmailAddress}}
}

// job is a planned job of jansCar on date from..to (hh:mm, garage time).
func job(id, date, from, to, description string) apiclient.Job {
	at := func(hhmm string) string {
		t, _ := time.ParseInLocation("2006-01-02 15:04", date+" "+hhmm, garage)
		return t.Format(time.RFC3339)
	}
	return apiclient.Job{JobID: id, StartTime: at(from), EndTime: at(to), Description: description,
		Customer: apiclient.JobCustomer{CustomerID: jane.CustomerID, Name: jane.Name, TelephoneNumber: jane.TelephoneNumber},
		Vehicle:  apiclient.JobVehicle{LicenseNumber: jansCar.LicenseNumber, Brand: jansCar.Brand, Type: jansCar.Type},
		Status:   apiclient.StatusPlanned}
}

// regexpFind is the first group of pattern's first match in s; it fails t if none.
func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", pattern, s)
	}
	return m[1]
}

// newServer serves a's handler until t ends.
func newServer(t *testing.T, a *webapp.WebApp) *httptest.Server {
	srv := httptest.NewServer(a.Handler(64 << 10))
	t.Cleanup(srv.Close)
	return srv
}
