package testutil

import (
	"crypto/ed25519"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/auth"
)

var (
	authKey      ed25519.PrivateKey
	authOnce     sync.Once
	authSigner   *auth.Signer
	authVerifier *auth.Verifier
	authPublic   string
)

func authKeys() {
	authOnce.Do(func() {
		pub, priv, err := auth.GenerateKey()
		if err != nil {
			panic(err)
		}
		authKey = priv
		authSigner, authVerifier = auth.NewSigner(priv, time.Hour), auth.NewVerifier(pub)
		authPublic = auth.EncodePublicKey(pub)
	})
}

// Signer is the test binary's token signer (one key pair per process, tokens valid for
// an hour): the web app's role in tests.
func Signer() *auth.Signer { authKeys(); return authSigner }

// SigningKey is Signer's private key: give it to a whole system under test
// (system.Options.SigningKey) so Token's tokens work there.
func SigningKey() ed25519.PrivateKey { authKeys(); return authKey }

// Verifier verifies what Signer signs: give it to the services under test.
func Verifier() *auth.Verifier { authKeys(); return authVerifier }

// PublicKey is Verifier's key as AUTH_PUBLIC_KEY holds it (for processes under test).
func PublicKey() string { authKeys(); return authPublic }

// Token is a bearer token of a staff member "test-<role>" with role.
func Token(t testing.TB, role auth.Role) string {
	t.Helper()
	tok, _, err := Signer().Issue(auth.Principal{Subject: "test-" + string(role), Name: "Test " + string(role),
		Kind: auth.KindStaff, Roles: []auth.Role{role}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// NoToken is the Authorization header value that tells a TokenTransport to send the
// request without any Authorization header.
const NoToken = "-"

// TokenTransport adds "Authorization: Bearer <Token>" to every request that has no
// Authorization header (a request whose header is NoToken goes without one): a test
// client that acts as a signed-in user unless a test says otherwise.
type TokenTransport struct {
	Base  http.RoundTripper
	Token string
}

// RoundTrip implements http.RoundTripper.
func (t TokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	switch req.Header.Get("Authorization") {
	case "":
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.Token)
	case NoToken:
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
	}
	return base.RoundTrip(req)
}

// AuthClient is a client whose requests carry an administrator's token by default.
func AuthClient(t testing.TB) *http.Client {
	return &http.Client{Transport: TokenTransport{Token: Token(t, auth.Administrator)}}
}
