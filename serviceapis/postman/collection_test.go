package postman

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pitstop/pitstop/serviceapis/openapi"
)

// The collection's shape, as far as these tests read it (Postman collection v2.1).
type collection struct {
	Info struct {
		Description string `json:"description"`
	} `json:"info"`
	Auth  *pmAuth   `json:"auth"`
	Event []pmEvent `json:"event"`
	Item  []pmItem  `json:"item"`
}

type pmAuth struct {
	Type   string `json:"type"`
	Bearer []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"bearer"`
}

type pmEvent struct {
	Listen string `json:"listen"`
	Script struct {
		Exec []string `json:"exec"`
	} `json:"script"`
}

type pmItem struct {
	Name    string       `json:"name"`
	Item    []pmItem     `json:"item"`
	Request *pmRequest   `json:"request"`
	Event   []pmEvent    `json:"event"`
	Resp    []pmResponse `json:"response"`
}

type pmRequest struct {
	Method      string  `json:"method"`
	URL         any     `json:"url"`
	Description string  `json:"description"`
	Auth        *pmAuth `json:"auth"`
}

type pmResponse struct {
	Name   string `json:"name"`
	Code   int    `json:"code"`
	Body   string `json:"body"`
	Header []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"header"`
}

// request is one request of the collection, with the folders it is in.
type request struct {
	path string // "Folder / Request"
	pmItem
}

func loadCollection(t *testing.T) (collection, []request) {
	t.Helper()
	raw, err := os.ReadFile("pitstop.postman_collection.json")
	if err != nil {
		t.Fatal(err)
	}
	var c collection
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	var out []request
	var walk func(prefix string, items []pmItem)
	walk = func(prefix string, items []pmItem) {
		for _, it := range items {
			if it.Request == nil {
				walk(prefix+it.Name+" / ", it.Item)
				continue
			}
			out = append(out, request{path: prefix + it.Name, pmItem: it})
		}
	}
	walk("", c.Item)
	if len(out) == 0 {
		t.Fatal("the collection holds no requests")
	}
	return c, out
}

func (r request) url() string {
	switch u := r.Request.URL.(type) {
	case string:
		return u
	case map[string]any:
		s, _ := u["raw"].(string)
		return s
	}
	return ""
}

var (
	serviceURL = regexp.MustCompile(`^\{\{(\w+)Url\}\}(/[^?#]*)`)
	variable   = regexp.MustCompile(`\{\{[^}]+\}\}`)
	param      = regexp.MustCompile(`\\\{[^}]+\\\}`)
)

type operation struct {
	service, method, path, id string
	match                     *regexp.Regexp
}

func operations(t *testing.T) []operation {
	t.Helper()
	var ops []operation
	for _, svc := range openapi.Services() {
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := yaml.Unmarshal(openapi.Spec(svc), &doc); err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		for p, item := range doc.Paths {
			for m, raw := range item {
				method := strings.ToUpper(m)
				if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
					continue
				}
				var op struct {
					OperationID string `json:"operationId"`
				}
				_ = json.Unmarshal(raw, &op)
				ops = append(ops, operation{service: svc, method: method, path: p, id: op.OperationID,
					match: regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$")})
			}
		}
	}
	if len(ops) < 20 {
		t.Fatalf("only %d operations in the OpenAPI documents", len(ops))
	}
	return ops
}

// TestEveryOperationHasARequest: each operation of every OpenAPI document is called by
// at least one request on its service's URL (the gateway's requests do not count).
func TestEveryOperationHasARequest(t *testing.T) {
	_, reqs := loadCollection(t)
	for _, op := range operations(t) {
		found := false
		for _, r := range reqs {
			m := serviceURL.FindStringSubmatch(r.url())
			if m == nil || m[1] != op.service || r.Request.Method != op.method {
				continue
			}
			path := variable.ReplaceAllString(m[2], "x")
			if !op.match.MatchString(path) {
				continue
			}
			// A literal route (/api/workshopplanning/history) is not the templated one.
			if literalRoute(op, path) {
				continue
			}
			found = true
			break
		}
		if !found {
			t.Errorf("%s %s %s (%s): no request in the collection", op.service, op.method, op.path, op.id)
		}
	}
}

// literalRoute reports whether path is a literal route of the same document that the
// templated op would also match (history versus {date}).
func literalRoute(op operation, path string) bool {
	if !strings.Contains(op.path, "{") {
		return false
	}
	literals := map[string][]string{"workshop": {"/api/workshopplanning/history"}}
	return slices.Contains(literals[op.service], path)
}

// TestEveryRequestIsDescribedWithAnExample: every request has a description and at
// least one saved example response with a status and a body; every API operation's
// examples include a 401, and every write operation's a 403.
func TestEveryRequestIsDescribedWithAnExample(t *testing.T) {
	_, reqs := loadCollection(t)
	codes := map[string][]int{} // by "METHOD path-without-variables"
	for _, r := range reqs {
		if strings.TrimSpace(r.Request.Description) == "" {
			t.Errorf("%s: no description", r.path)
		}
		if len(r.Resp) == 0 {
			t.Errorf("%s: no saved example response", r.path)
		}
		for _, ex := range r.Resp {
			if ex.Code < 100 || ex.Name == "" || strings.TrimSpace(ex.Body) == "" {
				t.Errorf("%s: example %q has no status, name or body", r.path, ex.Name)
			}
			if strings.Contains(contentType(ex), "json") && !json.Valid([]byte(ex.Body)) {
				t.Errorf("%s: example %q is not valid JSON", r.path, ex.Name)
			}
			if ex.Code >= 400 && strings.Contains(contentType(ex), "json") && !strings.Contains(contentType(ex), "problem+json") {
				t.Errorf("%s: error example %q is not a problem document", r.path, ex.Name)
			}
		}
		if m := serviceURL.FindStringSubmatch(r.url()); m != nil && strings.HasPrefix(m[2], "/api/") && m[1] != "webapp" {
			key := r.Request.Method + " " + m[1] + variable.ReplaceAllString(m[2], "x")
			for _, ex := range r.Resp {
				codes[key] = append(codes[key], ex.Code)
			}
		}
	}
	for _, op := range operations(t) {
		if !strings.HasPrefix(op.path, "/api/") {
			continue
		}
		var got []int
		for key, cs := range codes {
			method, rest, _ := strings.Cut(key, " ")
			if method == op.method && strings.HasPrefix(rest, op.service+"/") &&
				op.match.MatchString(strings.TrimPrefix(rest, op.service)) && !literalRoute(op, strings.TrimPrefix(rest, op.service)) {
				got = append(got, cs...)
			}
		}
		if !slices.Contains(got, 401) {
			t.Errorf("%s %s %s: no 401 example", op.service, op.method, op.path)
		}
		if op.method != "GET" && !slices.Contains(got, 403) {
			t.Errorf("%s %s %s: no 403 example", op.service, op.method, op.path)
		}
	}
}

func contentType(ex pmResponse) string {
	for _, h := range ex.Header {
		if strings.EqualFold(h.Key, "Content-Type") {
			return h.Value
		}
	}
	return ""
}

// TestAuthIsBearerFromTheTokenEndpoint: the collection authenticates with a bearer
// token {{accessToken}} that its pre-request script gets from POST /api/token; the only
// requests without it are the token requests, the operational endpoints and the ones
// that show a refusal.
func TestAuthIsBearerFromTheTokenEndpoint(t *testing.T) {
	c, reqs := loadCollection(t)
	if c.Auth == nil || c.Auth.Type != "bearer" || len(c.Auth.Bearer) == 0 || c.Auth.Bearer[0].Value != "{{accessToken}}" {
		t.Fatalf("collection auth is %+v, want bearer {{accessToken}}", c.Auth)
	}
	script := ""
	for _, e := range c.Event {
		if e.Listen == "prerequest" {
			script += strings.Join(e.Script.Exec, "\n")
		}
	}
	for _, want := range []string{"/api/token", "accessToken", "username", "password", "expires_in"} {
		if !strings.Contains(script, want) {
			t.Errorf("the collection's pre-request script does not mention %q:\n%s", want, script)
		}
	}
	for _, r := range reqs {
		if r.Request.Auth == nil {
			continue
		}
		u := r.url()
		open := strings.Contains(u, "/api/token") || regexp.MustCompile(`/(healthz|readyz|metrics|openapi\.yaml)$`).MatchString(u)
		refused := false
		for _, ex := range r.Resp {
			refused = refused || ex.Code == 401
		}
		if !open && !refused {
			t.Errorf("%s overrides the collection's bearer auth (%s) though it is neither open nor shows a 401", r.path, r.Request.Auth.Type)
		}
	}
}

// TestGatewayEnvironment: an environment sends everything through the gateway and
// signs in with a user name and password.
func TestGatewayEnvironment(t *testing.T) {
	raw, err := os.ReadFile("pitstop.gateway.postman_environment.json")
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Name   string `json:"name"`
		Values []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"values"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{}
	for _, v := range env.Values {
		vals[v.Key] = v.Value
	}
	if vals["baseUrl"] != "http://localhost:7005" {
		t.Errorf("baseUrl = %q, want the gateway http://localhost:7005", vals["baseUrl"])
	}
	for _, k := range []string{"username", "password"} {
		if _, ok := vals[k]; !ok {
			t.Errorf("the gateway environment has no %s", k)
		}
	}
	_, reqs := loadCollection(t)
	for _, r := range reqs {
		m := serviceURL.FindStringSubmatch(r.url())
		if m == nil {
			continue
		}
		if v, ok := vals[m[1]+"Url"]; !ok || v != vals["baseUrl"] {
			t.Errorf("%s: the gateway environment sends {{%sUrl}} to %q, not to the gateway", r.path, m[1], v)
		}
	}
}
