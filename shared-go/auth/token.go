package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Issuer and Audience of every Pitstop token.
const (
	Issuer   = "pitstop-webapp"
	Audience = "pitstop"
)

// DefaultTTL is how long a token is valid unless the issuer says otherwise: short, so a
// disabled account or a leaked token stops working soon.
const DefaultTTL = 15 * time.Minute

// Leeway is the clock skew tolerated between the web app and the services.
const Leeway = 30 * time.Second

// Errors of Verify; both are also jwt's, so errors.Is works with either package.
var (
	// ErrExpired: the token was valid but its time is over.
	ErrExpired = errors.New("token expired")
	// ErrInvalid: not a Pitstop token (malformed, forged, wrong algorithm, issuer or audience).
	ErrInvalid = errors.New("invalid token")
)

// Claims are a Pitstop token's claims.
type Claims struct {
	jwt.RegisteredClaims
	Name  string `json:"name,omitempty"`
	Kind  string `json:"kind"`
	Roles []Role `json:"roles"`
}

// Signer issues tokens. It is safe for concurrent use.
type Signer struct {
	key ed25519.PrivateKey
	ttl time.Duration
	now func() time.Time
}

// NewSigner signs with key; ttl <= 0 means DefaultTTL.
func NewSigner(key ed25519.PrivateKey, ttl time.Duration) *Signer {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Signer{key: key, ttl: ttl, now: time.Now}
}

// WithClock returns a copy of s reading the time from now (tests).
func (s *Signer) WithClock(now func() time.Time) *Signer {
	c := *s
	c.now = now
	return &c
}

// TTL is how long the tokens s issues are valid.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Issue returns a signed token for p and when it expires.
func (s *Signer) Issue(p Principal) (string, time.Time, error) {
	if p.Subject == "" || len(p.Roles) == 0 {
		return "", time.Time{}, errors.New("issue token: a principal needs a subject and a role")
	}
	now := s.now()
	exp := now.Add(s.ttl)
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: p.Subject, Audience: jwt.ClaimStrings{Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp), ID: uuid.NewString(),
		},
		Name: p.Name, Kind: p.Kind, Roles: p.Roles,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return tok, exp, nil
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	key ed25519.PublicKey
	now func() time.Time
}

// NewVerifier verifies against the web app's public key.
func NewVerifier(key ed25519.PublicKey) *Verifier {
	return &Verifier{key: key, now: time.Now}
}

// WithClock returns a copy of v reading the time from now (tests).
func (v *Verifier) WithClock(now func() time.Time) *Verifier {
	c := *v
	c.now = now
	return &c
}

// Verify returns the principal of a valid token. Only EdDSA with v's key, Pitstop's
// issuer and audience, and a token with an expiry are accepted; the error wraps
// ErrExpired or ErrInvalid.
func (v *Verifier) Verify(token string) (Principal, error) {
	if v == nil {
		return Principal{}, fmt.Errorf("%w: no key to verify with", ErrInvalid)
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway), jwt.WithTimeFunc(v.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Principal{}, fmt.Errorf("%w: %w", ErrExpired, err)
	case err != nil:
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if c.Subject == "" || len(c.Roles) == 0 || (c.Kind != KindStaff && c.Kind != KindClient) {
		return Principal{}, fmt.Errorf("%w: no subject, kind or roles", ErrInvalid)
	}
	for _, r := range c.Roles {
		if _, err := ParseRole(string(r)); err != nil {
			return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return Principal{Subject: c.Subject, Name: c.Name, Kind: c.Kind, Roles: c.Roles}, nil
}

// GenerateKey returns a fresh Ed25519 key pair.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand.Reader)
}

// EncodePublicKey is the form ParsePublicKey reads and AUTH_PUBLIC_KEY holds: the 32
// bytes in standard base64.
func EncodePublicKey(k ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(k) }

// EncodePrivateKey is the form ParsePrivateKey reads and AUTH_SIGNING_KEY holds: the
// 32-byte seed in standard base64.
func EncodePrivateKey(k ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.Seed())
}

// ParsePublicKey reads an Ed25519 public key: 32 bytes in base64, or a PEM "PUBLIC KEY"
// (PKIX, as `openssl pkey -pubout` writes it).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		if pk, ok := k.(ed25519.PublicKey); ok {
			return pk, nil
		}
		return nil, errors.New("public key: not Ed25519")
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("public key: want 32 bytes in base64 or a PEM PUBLIC KEY")
	}
	return ed25519.PublicKey(raw), nil
}

// ParsePrivateKey reads an Ed25519 private key: its 32-byte seed in base64, or a PEM
// "PRIVATE KEY" (PKCS #8, as `openssl genpkey -algorithm ed25519` writes it).
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		if pk, ok := k.(ed25519.PrivateKey); ok {
			return pk, nil
		}
		return nil, errors.New("signing key: not Ed25519")
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.SeedSize {
		return nil, errors.New("signing key: want a 32-byte seed in base64 or a PEM PRIVATE KEY")
	}
	return ed25519.NewKeyFromSeed(raw), nil
}
