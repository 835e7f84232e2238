package deploytest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// promConfig is the part of prometheus.yml the tests read.
type promConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

const prometheusYML = "deploy/prometheus/prometheus.yml"

func TestPrometheusScrapesEveryProcess(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, prometheusYML))
	if err != nil {
		t.Fatal(err)
	}
	var cfg promConfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("%s: %v", prometheusYML, err)
	}
	scraped := map[string]string{} // target -> job
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
					continue
				}
				scraped[tg] = sc.JobName
			}
		}
	}
	p := loadCompose(t)
	// Every Pitstop process serves /metrics on its HTTP port (shared-go/httpx).
	gs := goServices(t, p)
	if len(gs) == 0 {
		t.Fatal("no Pitstop process in docker-compose.yml")
	}
	for _, g := range gs {
		target := fmt.Sprintf("%s:%d", g.Name, g.Port)
		if _, ok := scraped[target]; !ok {
			t.Errorf("%s does not scrape compose service %s at %s/metrics", prometheusYML, g.Name, target)
		}
	}
	// And nothing scraped is missing from compose (a stale target would stay down).
	for tg := range scraped {
		host, _, _ := cutPort(tg)
		if host == "127.0.0.1" || host == "localhost" {
			continue
		}
		if _, ok := p.Services[host]; !ok {
			t.Errorf("%s scrapes %s, which is no compose service", prometheusYML, tg)
		}
	}
	// Compose mounts this very file.
	prom, ok := p.Services["prometheus"]
	if !ok {
		t.Fatal("no prometheus service in docker-compose.yml")
	}
	mounted := slices.ContainsFunc(prom.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Source == filepath.Join(root, prometheusYML) && v.Target == "/etc/prometheus/prometheus.yml"
	})
	if !mounted {
		t.Errorf("the prometheus service does not mount %s at /etc/prometheus/prometheus.yml", prometheusYML)
	}
}

func cutPort(hostport string) (host, port string, ok bool) {
	for i := len(hostport) - 1; i >= 0; i-- {
		if hostport[i] == ':' {
			return hostport[:i], hostport[i+1:], true
		}
	}
	return hostport, "", false
}

func TestPromtoolCheckConfig(t *testing.T) {
	t.Parallel()
	promtool := lookPromtool(t)
	cmd := exec.Command(promtool, "check", "config", prometheusYML)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config %s: %v\n%s", prometheusYML, err, out)
	}
}

// lookPromtool returns promtool's path or skips the test when it is not installed.
func lookPromtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH (Debian package prometheus; .ci/run installs it): skipping the promtool check")
	}
	return p
}
