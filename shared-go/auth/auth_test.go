package auth_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/events"
)

func keys(t *testing.T) (*auth.Signer, *auth.Verifier) {
	t.Helper()
	pub, priv, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewSigner(priv, time.Minute), auth.NewVerifier(pub)
}

var ann = auth.Principal{Subject: "ann", Name: "Ann", Kind: auth.KindStaff, Roles: []auth.Role{auth.FrontDesk}}

func TestTokenRoundTripAndRefusals(t *testing.T) {
	t.Parallel()
	s, v := keys(t)
	tok, exp, err := s.Issue(ann)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 50*time.Second || d > time.Minute {
		t.Fatalf("expires in %v, want the signer's minute", d)
	}
	got, err := v.Verify(tok)
	if err != nil || got.Subject != "ann" || got.Name != "Ann" || got.Kind != auth.KindStaff ||
		len(got.Roles) != 1 || got.Roles[0] != auth.FrontDesk {
		t.Fatalf("verify = %+v, %v", got, err)
	}

	other, _ := keys(t)
	forged, _, _ := other.Issue(auth.Principal{Subject: "ann", Kind: auth.KindStaff, Roles: []auth.Role{auth.Administrator}})
	parts := strings.Split(tok, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(
		[]byte(strings.Replace(string(claims), `"frontdesk"`, `"administrator"`, 1))) + "." + parts[2]
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "ann", "iss": auth.Issuer,
		"aud": auth.Audience, "exp": time.Now().Add(time.Hour).Unix(), "kind": "staff", "roles": []string{"administrator"}}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "iss": auth.Issuer,
		"aud": auth.Audience, "exp": time.Now().Add(time.Hour).Unix(), "kind": "staff", "roles": []string{"administrator"}}).
		SignedString([]byte("secret"))
	for name, bad := range map[string]string{"forged": forged, "tampered": tampered, "alg none": none, "HS256": hs,
		"garbage": "not.a.token", "empty": ""} {
		if _, err := v.Verify(bad); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}

	late := v.WithClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
	if _, err := late.Verify(tok); !errors.Is(err, auth.ErrExpired) {
		t.Fatalf("expired token: %v", err)
	}
	// Within the leeway a token is still good (clock skew between web app and services).
	if _, err := v.WithClock(func() time.Time { return exp.Add(auth.Leeway / 2) }).Verify(tok); err != nil {
		t.Fatalf("token within the leeway: %v", err)
	}
}

func TestKeysParseInBothForms(t *testing.T) {
	t.Parallel()
	pub, priv, _ := auth.GenerateKey()
	p2, err := auth.ParsePublicKey(auth.EncodePublicKey(pub))
	if err != nil || !p2.Equal(pub) {
		t.Fatalf("public key: %v", err)
	}
	k2, err := auth.ParsePrivateKey(auth.EncodePrivateKey(priv))
	if err != nil || !k2.Equal(priv) {
		t.Fatalf("private key: %v", err)
	}
	for _, bad := range []string{"", "abc", base64.StdEncoding.EncodeToString(make([]byte, 31))} {
		if _, err := auth.ParsePublicKey(bad); err == nil {
			t.Errorf("public key %q accepted", bad)
		}
		if _, err := auth.ParsePrivateKey(bad); err == nil {
			t.Errorf("private key %q accepted", bad)
		}
	}
}

const spec = `
openapi: 3.0.3
paths:
  /api/things:
    get:
      x-pitstop-roles: [frontdesk, planner, mechanic]
    post:
      x-pitstop-roles: [frontdesk]
  /api/things/{id}:
    get:
      x-pitstop-roles: [frontdesk, planner, mechanic]
    parameters: []
  /api/things/{id}/finish:
    put:
      x-pitstop-roles: [mechanic]
  /api/things/special:
    get:
      x-pitstop-roles: [planner]
  /api/days:
    post: {}
`

func TestPolicyFromOpenAPI(t *testing.T) {
	t.Parallel()
	p, err := auth.PolicyFromOpenAPI([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	role := func(r auth.Role) auth.Principal {
		return auth.Principal{Subject: "x", Kind: auth.KindStaff, Roles: []auth.Role{r}}
	}
	for _, c := range []struct {
		who          auth.Role
		method, path string
		want         bool
	}{
		{auth.Mechanic, "GET", "/api/things", true},
		{auth.Mechanic, "HEAD", "/api/things/7", true},
		{auth.Mechanic, "POST", "/api/things", false},
		{auth.FrontDesk, "POST", "/api/things", true},
		{auth.FrontDesk, "PUT", "/api/things/7/finish", false},
		{auth.Mechanic, "PUT", "/api/things/7/finish", true},
		{auth.FrontDesk, "GET", "/api/things/special", false}, // the literal path wins over {id}
		{auth.Planner, "GET", "/api/things/special", true},
		{auth.Planner, "POST", "/api/days", false}, // no roles listed: administrator only
		{auth.Administrator, "POST", "/api/days", true},
		{auth.FrontDesk, "GET", "/admin/dlq", false}, // undocumented: administrator only
		{auth.Administrator, "DELETE", "/admin/slots/x", true},
		{auth.Mechanic, "GET", "/api/things//finish", false},
	} {
		if got := p.Allows(role(c.who), c.method, c.path); got != c.want {
			t.Errorf("%s %s %s: allowed %v, want %v", c.who, c.method, c.path, got, c.want)
		}
	}
	if _, err := auth.PolicyFromOpenAPI([]byte("paths:\n  /x:\n    get:\n      x-pitstop-roles: [chef]\n")); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestMiddlewareRefusesWith401And403Problems(t *testing.T) {
	t.Parallel()
	s, v := keys(t)
	p, _ := auth.PolicyFromOpenAPI([]byte(spec))
	var actor string
	h := auth.Middleware(v, p)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor = events.ActorFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	do := func(method, path, tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	tok, _, _ := s.Issue(ann)
	if rec := do("GET", "/api/things", ""); rec.Code != 401 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), "Bearer") ||
		rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("no token: %d %v", rec.Code, rec.Header())
	}
	if rec := do("GET", "/api/things", tok+"x"); rec.Code != 401 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("bad token: %d %v", rec.Code, rec.Header())
	}
	if rec := do("PUT", "/api/things/1/finish", tok); rec.Code != 403 || !strings.Contains(rec.Body.String(), "mechanic") {
		t.Fatalf("wrong role: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/api/things", tok); rec.Code != 204 || actor != "ann" {
		t.Fatalf("allowed: %d, actor %q", rec.Code, actor)
	}
}
