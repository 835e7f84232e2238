package auth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// RolesExtension is the OpenAPI operation extension that lists the roles (besides
// Administrator, always allowed) that may call the operation. An operation without it
// is the administrator's alone.
const RolesExtension = "x-pitstop-roles"

// Rule allows Roles to call Method on the paths matching Path, an OpenAPI path
// template ("/api/customers/{customerId}": a {name} matches one non-empty segment).
type Rule struct {
	Method string
	Path   string
	Roles  []Role
	segs   []string
}

// Policy decides who may call what. Every request that matches no rule is the
// administrator's alone (the operator API under /admin, and anything undocumented).
type Policy struct {
	rules []Rule
}

// NewPolicy builds a policy of rules.
func NewPolicy(rules ...Rule) Policy {
	p := Policy{}
	for _, r := range rules {
		r.Method = strings.ToUpper(r.Method)
		r.segs = strings.Split(strings.Trim(r.Path, "/"), "/")
		p.rules = append(p.rules, r)
	}
	return p
}

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// PolicyFromOpenAPI reads the rules of an OpenAPI document: one per operation, with the
// roles of its x-pitstop-roles (none: administrator only).
func PolicyFromOpenAPI(spec []byte) (Policy, error) {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return Policy{}, fmt.Errorf("read OpenAPI document: %w", err)
	}
	var rules []Rule
	for path, item := range doc.Paths {
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			rule := Rule{Method: m, Path: path}
			if raw, ok := op[RolesExtension]; ok {
				list, ok := raw.([]any)
				if !ok {
					return Policy{}, fmt.Errorf("%s %s: %s is not a list", m, path, RolesExtension)
				}
				for _, x := range list {
					s, _ := x.(string)
					r, err := ParseRole(s)
					if err != nil {
						return Policy{}, fmt.Errorf("%s %s: %w", m, path, err)
					}
					rule.Roles = append(rule.Roles, r)
				}
			}
			rules = append(rules, rule)
		}
	}
	return NewPolicy(rules...), nil
}

// Lookup finds the rule of method and path: among the matching rules, the one with the
// most literal segments ("/jobs/history" before "/jobs/{date}"). HEAD is GET.
func (p Policy) Lookup(method, path string) (Rule, bool) {
	method = strings.ToUpper(method)
	if method == http.MethodHead {
		method = http.MethodGet
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := Rule{}, -1
	for _, r := range p.rules {
		if r.Method != method || len(r.segs) != len(segs) {
			continue
		}
		score := 0
		for i, s := range r.segs {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				if segs[i] == "" {
					score = -1
					break
				}
				continue
			}
			if s != segs[i] {
				score = -1
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	return best, bestScore >= 0
}

// Allows reports whether pr may call method on path.
func (p Policy) Allows(pr Principal, method, path string) bool {
	if pr.Has(Administrator) {
		return true
	}
	r, ok := p.Lookup(method, path)
	if !ok {
		return false
	}
	return slices.ContainsFunc(r.Roles, pr.Has)
}

// Required are the roles that may call method on path (Administrator always included).
func (p Policy) Required(method, path string) []Role {
	r, _ := p.Lookup(method, path)
	return append(slices.Clone(r.Roles), Administrator)
}
