package deploytest

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

const (
	alertsYML     = "deploy/prometheus/alerts.yml"
	alertsTestYML = "deploy/prometheus/alerts_test.yml"
)

// wantAlerts are the alerts Pitstop's operators rely on, with the metrics each must
// query (README.md, section "Operating Pitstop").
var wantAlerts = map[string][]string{
	"PitstopDeadLetters":           {"pitstop_outbox_dead_letters", "pitstop_consumer_dead_letters"},
	"PitstopAggregateParked":       {"pitstop_outbox_parked_aggregates", "pitstop_consumer_parked_aggregates"},
	"PitstopOutboxStale":           {"pitstop_outbox_oldest_age_seconds"},
	"PitstopNoRelayLeader":         {"pitstop_outbox_relay_leader"},
	"PitstopConsumerFallingBehind": {"pitstop_consumer_lag"},
	"PitstopTransientFailuresSustained": {"pitstop_outbox_transient_failures_total",
		"pitstop_consumer_transient_failures_total", "pitstop_mail_transient_failures_total"},
	"PitstopOutboxSlotRetainsTooMuchWAL": {"pitstop_outbox_slot_retained_bytes"},
	"PitstopOutboxSlotLagging":           {"pitstop_outbox_slot_lag_seconds"},
}

// wantSeverity pins the severity of some alerts; every alert is critical or warning.
var wantSeverity = map[string]string{"PitstopDeadLetters": "critical",
	"PitstopOutboxSlotRetainsTooMuchWAL": "critical", "PitstopOutboxSlotLagging": "warning"}

// runbook is what every alert's description must name: where its runbook is and the
// commands it uses.
var runbook = []string{"README.md", `"Operating Pitstop"`, "`pitstop status`", "`pitstop dlq`"}

// wantRunbook overrides runbook for the alerts with a section of their own.
var wantRunbook = map[string][]string{
	"PitstopOutboxSlotRetainsTooMuchWAL": {"docs/operating.md#replication-slots", "`pitstop status`", "`pitstop slots list`",
		"`pitstop slots drop`"},
	"PitstopOutboxSlotLagging": {"docs/operating.md#replication-slots", "`pitstop status`", "`pitstop slots list`"},
}

// alertRule is one alerting rule of alerts.yml.
type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// loadAlerts returns the rules of alerts.yml by alert name; it fails on a second group,
// a recording rule or a name used twice.
func loadAlerts(t *testing.T) map[string]alertRule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), alertsYML))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", alertsYML, err)
	}
	if len(f.Groups) != 1 || f.Groups[0].Name != "pitstop" {
		var names []string
		for _, g := range f.Groups {
			names = append(names, g.Name)
		}
		t.Fatalf("%s has groups %q, want the one group \"pitstop\"", alertsYML, names)
	}
	rules := map[string]alertRule{}
	for _, r := range f.Groups[0].Rules {
		if r.Alert == "" {
			t.Errorf("%s: a rule without an alert name (expr %q)", alertsYML, r.Expr)
			continue
		}
		if _, dup := rules[r.Alert]; dup {
			t.Errorf("%s: alert %s is defined twice", alertsYML, r.Alert)
		}
		rules[r.Alert] = r
	}
	return rules
}

func TestAlertsPromtool(t *testing.T) {
	t.Parallel()
	promtool := lookPromtool(t)
	for _, args := range [][]string{{"check", "rules", alertsYML}, {"test", "rules", alertsTestYML}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestAlertsAreTheAgreedOnes(t *testing.T) {
	t.Parallel()
	rules := loadAlerts(t)
	for _, name := range slices.Sorted(maps.Keys(wantAlerts)) {
		r, ok := rules[name]
		if !ok {
			t.Errorf("%s has no alert %s", alertsYML, name)
			continue
		}
		used, err := metricNames(r.Expr)
		if err != nil {
			t.Errorf("alert %s: %v", name, err)
		}
		for _, m := range wantAlerts[name] {
			if !slices.Contains(used, m) {
				t.Errorf("alert %s: expr %q does not query %s", name, r.Expr, m)
			}
		}
		if r.For == "" {
			t.Errorf("alert %s has no for: (it would fire on a single evaluation)", name)
		}
		sev := r.Labels["severity"]
		if want := wantSeverity[name]; want != "" && sev != want {
			t.Errorf("alert %s: severity %q, want %q", name, sev, want)
		}
		if sev != "critical" && sev != "warning" {
			t.Errorf("alert %s: severity %q, want critical or warning", name, sev)
		}
		if r.Annotations["summary"] == "" {
			t.Errorf("alert %s has no summary annotation", name)
		}
		desc := strings.Join(strings.Fields(r.Annotations["description"]), " ")
		want := runbook
		if w, ok := wantRunbook[name]; ok {
			want = w
		}
		for _, want := range want {
			if !strings.Contains(desc, want) {
				t.Errorf("alert %s: description %q does not name %s (the runbook)", name, desc, want)
			}
		}
	}
}

// TestAlertsHaveFiringAndSilentUnitTests checks that alerts_test.yml tests every alert
// of alerts.yml both ways: a case where it fires and one where it must not.
func TestAlertsHaveFiringAndSilentUnitTests(t *testing.T) {
	t.Parallel()
	rules := loadAlerts(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), alertsTestYML))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", alertsTestYML, err)
	}
	if !slices.Equal(f.RuleFiles, []string{path.Base(alertsYML)}) {
		t.Errorf("%s: rule_files %q, want [%s]", alertsTestYML, f.RuleFiles, path.Base(alertsYML))
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if _, ok := rules[a.Alertname]; !ok {
				t.Errorf("%s tests alert %s, which %s does not define", alertsTestYML, a.Alertname, alertsYML)
			}
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		if !fires[name] {
			t.Errorf("%s has no case where %s fires", alertsTestYML, name)
		}
		if !silent[name] {
			t.Errorf("%s has no case where %s must not fire (exp_alerts: [])", alertsTestYML, name)
		}
	}
}

// TestAlertsAreLoadedByPrometheus checks that prometheus.yml loads alerts.yml and that
// compose mounts it where that rule_files entry points inside the container.
func TestAlertsAreLoadedByPrometheus(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, prometheusYML))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("%s: %v", prometheusYML, err)
	}
	if !slices.Contains(cfg.RuleFiles, path.Base(alertsYML)) {
		t.Fatalf("%s: rule_files %q does not load %s", prometheusYML, cfg.RuleFiles, path.Base(alertsYML))
	}
	prom, ok := loadCompose(t).Services["prometheus"]
	if !ok {
		t.Fatal("no prometheus service in docker-compose.yml")
	}
	// Relative rule files are resolved against the directory of the config file,
	// which compose mounts at /etc/prometheus/prometheus.yml.
	for _, rf := range cfg.RuleFiles {
		src := filepath.Join(root, filepath.Dir(prometheusYML), filepath.FromSlash(rf))
		target := path.Join("/etc/prometheus", rf)
		if path.IsAbs(rf) {
			t.Errorf("%s: rule file %s is absolute; name it relative to the config so promtool finds it here too", prometheusYML, rf)
			continue
		}
		if _, err := os.Stat(src); err != nil {
			t.Errorf("%s: rule file %s: %v", prometheusYML, rf, err)
		}
		if !slices.ContainsFunc(prom.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Source == src && v.Target == target }) {
			t.Errorf("the prometheus service does not mount %s at %s (rule_files of %s)", src, target, prometheusYML)
		}
	}
}

// TestAlertsHaveADashboardPanel checks that docs/grafana-dashboard.json has, for every
// alert, a panel titled like it whose query is the alert's expression.
func TestAlertsHaveADashboardPanel(t *testing.T) {
	t.Parallel()
	rules := loadAlerts(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	type target struct {
		Expr string `json:"expr"`
	}
	var dash struct {
		Panels []struct {
			Title   string   `json:"title"`
			Targets []target `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		want := strings.Join(strings.Fields(rules[name].Expr), " ")
		found := false
		for _, p := range dash.Panels {
			if p.Title != name {
				continue
			}
			found = true
			if !slices.ContainsFunc(p.Targets, func(tg target) bool { return strings.Join(strings.Fields(tg.Expr), " ") == want }) {
				t.Errorf("docs/grafana-dashboard.json panel %q does not query the alert's expression %q", name, want)
			}
		}
		if !found {
			t.Errorf("docs/grafana-dashboard.json has no panel titled %q (alert of %s)", name, alertsYML)
		}
	}
}
