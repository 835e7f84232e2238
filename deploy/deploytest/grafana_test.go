package deploytest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

func TestGrafanaDashboardUsesTheProvisionedDataSource(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "provisioning", "datasources", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(raw, &ds); err != nil {
		t.Fatal(err)
	}
	uids := map[string]bool{}
	for _, d := range ds.Datasources {
		if d.Type == "prometheus" {
			uids[d.UID] = true
		}
	}
	dash, err := os.ReadFile(filepath.Join(root, "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(dash, &v); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	var refs int
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if d, ok := x["datasource"].(map[string]any); ok {
				refs++
				if uid, _ := d["uid"].(string); !uids[uid] {
					t.Errorf("the dashboard refers to data source uid %q; provisioned Prometheus uids: %v", uid, uids)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if refs == 0 {
		t.Error("the dashboard names no data source")
	}
	// Compose provisions Grafana with these files and the dashboard.
	p := loadCompose(t)
	g, ok := p.Services["grafana"]
	if !ok {
		t.Fatal("no grafana service")
	}
	for _, src := range []string{filepath.Join(root, "deploy", "grafana", "provisioning"), filepath.Join(root, "docs", "grafana-dashboard.json")} {
		if !slices.ContainsFunc(g.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Source == src }) {
			t.Errorf("the grafana service does not mount %s", src)
		}
	}
}
