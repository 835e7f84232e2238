// Package auth is Pitstop's sign-in plumbing shared by the web app (which issues tokens)
// and every service (which checks them): staff roles, short-lived bearer tokens (JWT,
// EdDSA over Ed25519: the web app holds the private key, services only the public one,
// so a service can verify but never mint), the per-operation role policy read from the
// OpenAPI documents (x-pitstop-roles), and the HTTP middleware that enforces it with
// 401 and 403 problem documents.
package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pitstop/pitstop/shared-go/events"
)

// Role is what a staff account or API client may do.
type Role string

// The roles. Administrator may do everything, including what only it may do: the
// business day, staff accounts and the operator (/admin) endpoints.
const (
	FrontDesk     Role = "frontdesk" // customers and vehicles
	Planner       Role = "planner"   // planning, cancelling and moving jobs
	Mechanic      Role = "mechanic"  // finishing jobs
	Administrator Role = "administrator"
)

// Roles are all roles, in the order pages list them.
var Roles = []Role{FrontDesk, Planner, Mechanic, Administrator}

// ParseRole accepts one of Roles by name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("unknown role %q (want one of frontdesk, planner, mechanic, administrator)", s)
	}
	return r, nil
}

// Kinds of principal.
const (
	KindStaff  = "staff"  // a person signed in with a password
	KindClient = "client" // a named API client
)

// Principal is who a request acts for.
type Principal struct {
	// Subject is the staff account's user name, or "client:<name>" for an API client.
	Subject string
	// Name is the display name.
	Name string
	// Kind is KindStaff or KindClient.
	Kind  string
	Roles []Role
}

// Has reports whether p may act in role r: p has r, or p is an administrator.
func (p Principal) Has(r Role) bool {
	return slices.Contains(p.Roles, r) || slices.Contains(p.Roles, Administrator)
}

// Actor is what events and the audit log record as having done it: the Subject.
func (p Principal) Actor() string { return p.Subject }

type principalKey struct{}

// WithPrincipal returns ctx carrying p, and p's actor for the events a command writes
// (events.WithActor).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return events.WithActor(context.WithValue(ctx, principalKey{}, p), p.Actor())
}

// FromContext is the principal WithPrincipal put in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
