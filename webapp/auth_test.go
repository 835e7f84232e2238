package webapp_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp"
)

// as is a copy of e signed in as user.
func (e *env) as(user, password string) *env {
	e.t.Helper()
	u := *e
	u.session, u.csrf = "", ""
	u.signIn(user, password)
	return &u
}

// addStaff adds an account through the staff page (as e, an administrator).
func (e *env) addStaff(user string, role auth.Role) {
	e.t.Helper()
	p := e.post("/staff", url.Values{"userName": {user}, "displayName": {strings.ToUpper(user[:1]) + user[1:]},
		"role": {string(role)}, "password": {user + "'s password"}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("add %s: %d\n%s", user, p.status, p.body)
	}
}

// tokenFor posts body to /api/token as JSON.
func (e *env) tokenFor(body string) (int, http.Header, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	p := e.send(req)
	var out map[string]any
	_ = json.Unmarshal([]byte(p.body), &out)
	return p.status, p.header, out
}

func TestPagesNeedASignIn(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	p := e.getAnonymous("/customers?cursor=25")
	if p.status != http.StatusSeeOther || p.location != "/signin?next="+url.QueryEscape("/customers?cursor=25") {
		t.Fatalf("anonymous page: %d to %q", p.status, p.location)
	}
	for _, path := range []string{"/healthz", "/readyz", "/static/app.css", "/signin"} {
		if p := e.getAnonymous(path); p.status != http.StatusOK {
			t.Errorf("%s without a session: %d", path, p.status)
		}
	}
	// A form posted without a session goes nowhere.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/customers", strings.NewReader(customerForm(jane).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := e.send(req); p.status != http.StatusSeeOther || p.location != "/signin" {
		t.Fatalf("anonymous post: %d to %q", p.status, p.location)
	}
	if n := e.api.Count("POST /api/customers"); n != 0 {
		t.Fatalf("an anonymous post registered %d customers", n)
	}
}

func TestSignInSetsASecureSessionCookieAndGoesBack(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	u := *e
	u.session = ""
	p := u.trySignIn("admin", "wrong password", "/vehicles")
	p.expect(t, http.StatusUnauthorized, "Wrong user name or password.")
	if u.session != "" {
		t.Fatal("a wrong password got a session")
	}
	p = u.trySignIn("admin", adminPassword, "/vehicles?cursor=2")
	if p.status != http.StatusSeeOther || p.location != "/vehicles?cursor=2" {
		t.Fatalf("sign in: %d to %q", p.status, p.location)
	}
	var c *http.Cookie
	for _, k := range cookies(p.header) {
		if k.Name == "pitstop_session" {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) < 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/, 256 bits", c)
	}
	// Only a local next is followed.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		if p := u.trySignIn("admin", adminPassword, next); p.location != "/" {
			t.Errorf("next %q: went to %q", next, p.location)
		}
	}
	home := u.get("/")
	home.expect(t, http.StatusOK, "Administrator", "Sign out", `href="/staff"`)
}

func TestSignInIsRateLimitedPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.addStaff("fred", auth.FrontDesk)
	u := *e
	for i := range 5 {
		u.trySignIn("fred", "guess "+strconv.Itoa(i), "").expect(t, http.StatusUnauthorized, "Wrong user name or password.")
	}
	p := u.trySignIn("fred", "fred's password", "")
	p.expect(t, http.StatusTooManyRequests, "Too many failed sign-ins")
	if s, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || s < 1 || s > 900 {
		t.Fatalf("Retry-After %q", p.header.Get("Retry-After"))
	}
	// An account that does not exist answers the same.
	for range 5 {
		u.trySignIn("nobody", "guess", "").expect(t, http.StatusUnauthorized, "Wrong user name or password.")
	}
	u.trySignIn("nobody", "guess", "").expect(t, http.StatusTooManyRequests, "Too many failed sign-ins")
	// The token endpoint shares the account's count.
	if status, h, _ := e.tokenFor(`{"username":"fred","password":"fred's password"}`); status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("token for a locked account: %d", status)
	}
	// The address: 20 failures from it (10 so far, all from 127.0.0.1), then nobody
	// signs in from it, although the admin's password is right.
	for i := range 10 {
		u.trySignIn("guess"+strconv.Itoa(i), "x", "").expect(t, http.StatusUnauthorized)
	}
	u.trySignIn("admin", adminPassword, "").expect(t, http.StatusTooManyRequests, "Too many failed sign-ins")
}

func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	p := e.post("/signout", url.Values{})
	if p.status != http.StatusSeeOther || p.location != "/signin" {
		t.Fatalf("sign out: %d to %q", p.status, p.location)
	}
	if p := e.get("/customers"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
		t.Fatalf("after sign-out the old cookie gets %d %q", p.status, p.location)
	}
}

func TestCSRFTokenIsRequiredOnEveryPost(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	// Every posting form of a page carries the session's token.
	form := e.get("/customers/new")
	if form.hidden("csrf_token") != e.csrf {
		t.Fatalf("the form carries %q, want the session's token", form.hidden("csrf_token"))
	}
	post := func(token string) page {
		f := customerForm(jane)
		if token != "" {
			f.Set("csrf_token", token)
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/customers", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", "pitstop_session="+e.session)
		return e.send(req)
	}
	post("").expect(t, http.StatusForbidden, "This form is not from your current session")
	other := e.as("admin", adminPassword) // another session's token
	post(other.csrf).expect(t, http.StatusForbidden, "This form is not from your current session")
	post(e.csrf[:len(e.csrf)-1]+"x").expect(t, http.StatusForbidden)
	if n := e.api.Count("POST /api/customers"); n != 0 {
		t.Fatalf("%d posts without the right token reached the customers API", n)
	}
	if p := post(e.csrf); p.status != http.StatusSeeOther {
		t.Fatalf("with the token: %d\n%s", p.status, p.body)
	}
	// The sign-in form needs its own cookie's token.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/signin", strings.NewReader(url.Values{
		"username": {"admin"}, "password": {adminPassword}, "csrf_token": {"made-up"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "pitstop_signin=another-value-entirely-of-sufficient-length-000")
	e.send(req).expect(t, http.StatusForbidden, "The sign-in form had expired")
}

func TestPagesByRole(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.api.SetBusinessDay(today)
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"fred", auth.FrontDesk}, {"pia", auth.Planner}, {"mo", auth.Mechanic}} {
		e.addStaff(u.name, u.role)
	}
	fred, pia, mo := e.as("fred", "fred's password"), e.as("pia", "pia's password"), e.as("mo", "mo's password")
	cases := []struct {
		who  *env
		path string
		want int
	}{
		{fred, "/customers", 200}, {fred, "/customers/new", 200}, {fred, "/vehicles/new", 200},
		{fred, "/workshop/schedule", 403}, {fred, "/business-day", 403}, {fred, "/staff", 403},
		{pia, "/customers", 200}, {pia, "/customers/new", 403}, {pia, "/workshop/schedule", 200}, {pia, "/business-day", 403},
		{mo, "/customers/" + jane.CustomerID, 200}, {mo, "/customers/" + jane.CustomerID + "/edit", 403},
		{mo, "/workshop/" + today, 200}, {mo, "/workshop/schedule", 403},
		{e, "/business-day", 200}, {e, "/staff", 200}, {e, "/customers/new", 200}, {e, "/workshop/schedule", 200},
	}
	for _, c := range cases {
		if p := c.who.get(c.path); p.status != c.want {
			t.Errorf("%s GET %s: %d, want %d", c.who.session[:6], c.path, p.status, c.want)
		}
	}
	mo.get("/customers/new").expect(t, http.StatusForbidden, "front desk", "you are signed in as mechanic")
	// A refused post sends nothing.
	p := mo.post("/customers", customerForm(jane))
	p.expect(t, http.StatusForbidden)
	fred.post("/business-day", url.Values{"current": {today}}).expect(t, http.StatusForbidden)
	if e.api.Count("POST /api/customers") != 0 || e.api.Count("POST /api/time/days") != 0 {
		t.Fatal("a refused form reached an API")
	}
	// Navigation shows what the role can use.
	fred.get("/").lacks(t, `href="/business-day"`, `href="/staff"`)
	e.get("/").expect(t, http.StatusOK, `href="/business-day"`, `href="/staff"`)
}

// recorder records the Authorization header of every request to the services.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path != "/readyz" {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.Path+" "+req.Header.Get("Authorization"))
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestPagesCallTheAPIsAsTheSignedInStaffMember(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var key ed25519.PublicKey
	e := start(t, func(o *webapp.Options) { o.Transport = rec })
	key = e.key.Public().(ed25519.PublicKey)
	e.addStaff("fred", auth.FrontDesk)
	fred := e.as("fred", "fred's password")
	rec.mu.Lock()
	rec.seen = nil
	rec.mu.Unlock()
	fred.post("/customers", customerForm(jane))
	fred.get("/customers")
	rec.mu.Lock()
	seen := append([]string(nil), rec.seen...)
	rec.mu.Unlock()
	if len(seen) < 2 {
		t.Fatalf("calls %v", seen)
	}
	v := auth.NewVerifier(key)
	var first string
	for _, s := range seen {
		_, tok, ok := strings.Cut(s, " Bearer ")
		if !ok {
			t.Fatalf("call without a token: %s", s)
		}
		p, err := v.Verify(tok)
		if err != nil || p.Subject != "fred" || p.Roles[0] != auth.FrontDesk || p.Kind != auth.KindStaff {
			t.Fatalf("call %s: principal %+v %v", s, p, err)
		}
		if first == "" {
			first = tok
		} else if tok != first {
			t.Fatal("the session's token was not reused")
		}
	}
}

func TestDisabledAccountLosesItsSessionSignInAndTokens(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.addStaff("fred", auth.FrontDesk)
	fred := e.as("fred", "fred's password")
	fred.get("/customers").expect(t, http.StatusOK)
	if status, _, _ := e.tokenFor(`{"username":"fred","password":"fred's password"}`); status != http.StatusOK {
		t.Fatalf("token before: %d", status)
	}
	var id string
	if err := e.pool.QueryRow(context.Background(), `SELECT staff_id::text FROM staff WHERE user_name = 'fred'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if p := e.post("/staff/"+id+"/disable", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", p.status, p.body)
	}
	e.get("/staff").expect(t, http.StatusOK, "disabled")
	if p := fred.get("/customers"); p.status != http.StatusSeeOther {
		t.Fatalf("disabled account's session: %d", p.status)
	}
	u := *e
	u.trySignIn("fred", "fred's password", "").expect(t, http.StatusUnauthorized, "Wrong user name or password.")
	if status, _, _ := e.tokenFor(`{"username":"fred","password":"fred's password"}`); status != http.StatusUnauthorized {
		t.Fatalf("token of a disabled account: %d", status)
	}
	// Nobody disables themselves.
	var adminID string
	_ = e.pool.QueryRow(context.Background(), `SELECT staff_id::text FROM staff WHERE user_name = 'admin'`).Scan(&adminID)
	e.post("/staff/"+adminID+"/disable", url.Values{}).expect(t, http.StatusConflict, "cannot disable your own account")
}

func TestTokensForStaffAndClientsAtTheGateway(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.api.AddCustomer(jane)
	e.addStaff("mo", auth.Mechanic)
	p := e.post("/staff/clients", url.Values{"name": {"dealer-portal"}, "role": {"frontdesk"}})
	p.expect(t, http.StatusCreated, "dealer-portal")
	secret := regexpFind(t, p.body, `<code>([A-Za-z0-9_-]{43})</code>`)
	if strings.Contains(e.get("/staff").body, secret) {
		t.Fatal("the secret is shown again")
	}

	status, h, client := e.tokenFor(`{"client":"dealer-portal","secret":"` + secret + `"}`)
	if status != http.StatusOK || client["token_type"] != "Bearer" || client["expires_in"] != float64(900) || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("client token: %d %v", status, client)
	}
	clientTok := client["access_token"].(string)
	pr, err := auth.NewVerifier(e.key.Public().(ed25519.PublicKey)).Verify(clientTok)
	if err != nil || pr.Subject != "client:dealer-portal" || pr.Kind != auth.KindClient {
		t.Fatalf("client principal %+v %v", pr, err)
	}
	// Form-encoded works too.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/token", strings.NewReader(url.Values{"username": {"mo"}, "password": {"mo's password"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var mo map[string]any
	if p := e.send(req); p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &mo) != nil {
		t.Fatalf("staff token (form): %d %s", p.status, p.body)
	}
	moTok := mo["access_token"].(string)

	for _, c := range []struct {
		body string
		want int
	}{
		{`{"username":"mo","password":"wrong"}`, 401},
		{`{"client":"dealer-portal","secret":"wrong"}`, 401},
		{`{"client":"nobody","secret":"x"}`, 401},
		{`{"username":"mo"}`, 400},
		{`{"username":"mo","password":"x","client":"c","secret":"s"}`, 400},
		{`{}`, 400},
		{`not json`, 400},
		{`{"username":1}`, 400},
	} {
		if status, _, body := e.tokenFor(c.body); status != c.want || body["status"] != float64(c.want) {
			t.Errorf("token %s: %d %v, want a %d problem", c.body, status, body, c.want)
		}
	}

	api := func(method, path, token string) int {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return e.send(req).status
	}
	_, otherKey, _ := auth.GenerateKey()
	forged, _, _ := auth.NewSigner(otherKey, 0).Issue(auth.Principal{Subject: "admin", Kind: auth.KindStaff, Roles: []auth.Role{auth.Administrator}})
	expired, _, _ := auth.NewSigner(e.key, time.Minute).WithClock(func() time.Time { return time.Now().Add(-time.Hour) }).
		Issue(auth.Principal{Subject: "admin", Kind: auth.KindStaff, Roles: []auth.Role{auth.Administrator}})
	for _, c := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"client reads", "GET", "/api/customers/" + jane.CustomerID, clientTok, 200},
		{"mechanic reads", "GET", "/api/customers/" + jane.CustomerID, moTok, 200},
		{"mechanic registers a customer", "POST", "/api/customers", moTok, 403},
		{"no token", "GET", "/api/customers/" + jane.CustomerID, "", 401},
		{"forged", "GET", "/api/customers/" + jane.CustomerID, forged, 401},
		{"expired", "GET", "/api/customers/" + jane.CustomerID, expired, 401},
	} {
		if got := api(c.method, c.path, c.token); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if n := e.api.Count("POST /api/customers"); n != 0 {
		t.Fatalf("a refused request reached the service (%d)", n)
	}
}

func TestFirstStartMakesAnAdministratorWithAOneTimePassword(t *testing.T) {
	t.Parallel()
	api := startFakeAPI(t)
	o := webapp.Options{Upstreams: map[string][]string{webapp.Customers: {api.CustomersURL}},
		Log: testutil.Logger(t), Registry: prometheus.NewRegistry(), Location: garage, Now: func() time.Time { return now }}
	withAuth(t, &o)
	o.AdminPassword = ""
	a, err := webapp.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	notice := a.BootstrapNotice()
	pw := regexpFind(t, notice, `one-time password (\S+) `)
	o.Registry = prometheus.NewRegistry()
	again, err := webapp.New(context.Background(), o)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	if n := again.BootstrapNotice(); n != "" {
		t.Fatalf("second start made another administrator: %q", n)
	}
	e := &env{t: t, api: api, app: a, key: o.SigningKey, pool: o.Pool}
	e.srv = newServer(t, a)
	p := e.trySignIn("admin", pw, "/customers")
	if p.status != http.StatusSeeOther || p.location != "/account/password" {
		t.Fatalf("first sign-in: %d to %q", p.status, p.location)
	}
	e.csrf = e.get("/account/password").hidden("csrf_token")
	if p := e.get("/customers"); p.location != "/account/password" {
		t.Fatalf("before the change /customers goes to %q", p.location)
	}
	if status, _, _ := e.tokenFor(`{"username":"admin","password":"` + pw + `"}`); status != http.StatusForbidden {
		t.Fatalf("token before the change: %d", status)
	}
	e.post("/account/password", url.Values{"current": {pw}, "password": {"short"}, "confirm": {"short"}}).
		expect(t, http.StatusBadRequest, "at least 10 characters")
	e.post("/account/password", url.Values{"current": {pw}, "password": {"a new long password"}, "confirm": {"another"}}).
		expect(t, http.StatusBadRequest, "does not match")
	if p := e.post("/account/password", url.Values{"current": {pw}, "password": {"a new long password"},
		"confirm": {"a new long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", p.status, p.body)
	}
	e.get("/customers").expect(t, http.StatusOK)
}
