package system_test

import (
	"testing"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
)

// TestContextsHaveDistinctNamesSchemasAndPorts: the all-in-one runs every context and
// relay side by side, so no two may share a name, a schema or a port (a relay's Port+1
// included), and every descriptor can be built.
func TestContextsHaveDistinctNamesSchemasAndPorts(t *testing.T) {
	t.Parallel()
	contexts := system.Contexts(system.ContextOptions{})
	if len(contexts) != 7 {
		t.Fatalf("%d contexts, want the seven of SYSTEM.md", len(contexts))
	}
	names, schemas, ports := map[string]bool{}, map[string]bool{}, map[int]string{}
	port := func(p int, who string) {
		if other, dup := ports[p]; dup {
			t.Errorf("%s and %s both listen on %d", other, who, p)
		}
		ports[p] = who
	}
	for _, c := range contexts {
		if c.Name == "" || names[c.Name] || schemas[c.Schema] {
			t.Errorf("context %q (schema %q): empty or repeated name or schema", c.Name, c.Schema)
		}
		names[c.Name], schemas[c.Schema] = true, true
		if c.Build == nil {
			t.Errorf("%s.Context has no Build", c.Name)
		}
		port(c.Port, c.Name)
		if c.Publishes {
			port(c.Port+1, c.RelayName())
		}
	}
}
