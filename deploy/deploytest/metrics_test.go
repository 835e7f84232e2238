package deploytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// dashboardMetrics are the metrics the Grafana dashboard must chart (README, metrics).
var dashboardMetrics = []string{
	"pitstop_outbox_backlog",
	"pitstop_outbox_relay_latency_seconds_bucket",
	"pitstop_outbox_published_total",
	"pitstop_outbox_publish_failures_total",
	"pitstop_outbox_dead_lettered_total",
	"pitstop_consumer_lag",
	"pitstop_consumer_failures_total",
	"pitstop_consumer_dead_lettered_total",
	"pitstop_http_requests_total",
	"pitstop_http_request_duration_seconds_bucket",
	"pitstop_mail_sent_total",
	"pitstop_mail_failures_total",
	"pitstop_mail_pending",
}

// TestMetricsOfTheRunningSystem starts the whole system in-process, drives a little
// traffic so that histograms have samples, and reads every process's /metrics: promtool
// lints each one, the dashboard may only use metric names found there, and compose
// must run every process the system has.
func TestMetricsOfTheRunningSystem(t *testing.T) {
	t.Parallel()
	sys, err := system.Start(context.Background(), system.Options{
		DatabaseURL:  testutil.Database(t),
		DataDir:      t.TempDir(),
		FreePorts:    true,
		PollInterval: 100 * time.Millisecond,
		Logger:       testutil.Logger(t),
		SigningKey:   testutil.SigningKey(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	client := &http.Client{Timeout: 10 * time.Second, Transport: testutil.TokenTransport{Token: testutil.Token(t, auth.Administrator)}}
	get := func(url string) (int, []byte) {
		resp, err := client.Get(url)
		if err != nil {
			t.Logf("GET %s: %v", url, err)
			return 0, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}

	// Traffic: every process answers /readyz; customers take a registration and a
	// rejected one; the relay publishes the event (relay latency samples).
	for _, e := range sys.Endpoints {
		testutil.Eventually(t, 30*time.Second, func() bool { c, _ := get(e.URL + "/readyz"); return c == http.StatusOK },
			"%s /readyz never answered 200", e.Name)
	}
	post := func(path, body string) int {
		resp, err := client.Post(sys.URL("customers")+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	if c := post("/api/customers", `{"name": "Ann Smith", "address": "1 Main Street", "postalCode": "1234 AB",
		"city": "Utrecht", "telephoneNumber": "+31 6 1234 5678", "emailAddress": "ann@example.com"}`); c != http.StatusCreated {
		t.Fatalf("register customer: %d, want 201", c)
	}
	if c := post("/api/customers", `{"name": "X"}`); c != http.StatusBadRequest {
		t.Fatalf("invalid customer: %d, want 400", c)
	}
	get(sys.URL("customers") + "/api/customers")
	testutil.Eventually(t, 30*time.Second, func() bool {
		_, body := get(sys.URL("customers-cdc") + "/metrics")
		return sampleValue(body, "pitstop_outbox_published_total") >= 1
	}, "the customers relay never published the registration")
	if web := sys.URL("webapp"); web != "" {
		// Through the API gateway, so that its per-instance series exist.
		testutil.Eventually(t, 30*time.Second, func() bool {
			get(web + "/api/customers")
			_, body := get(web + "/metrics")
			names := sampleNames(body)
			return names["pitstop_gateway_upstream_requests_total"] && names["pitstop_gateway_instance_up"]
		}, "the webapp's gateway never proxied GET /api/customers to a ready instance")
	}

	// Every process's /metrics, after the traffic.
	metrics := map[string][]byte{}
	for _, e := range sys.Endpoints {
		code, body := get(e.URL + "/metrics")
		if code != http.StatusOK {
			t.Errorf("%s: GET /metrics answered %d", e.Name, code)
			continue
		}
		metrics[e.Name] = body
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		promtool := lookPromtool(t)
		for _, e := range sys.Endpoints {
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(metrics[e.Name])
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("promtool check metrics of %s (%s/metrics): %v\n%s", e.Name, e.URL, err, out)
			}
		}
	})

	t.Run("dashboard uses only exposed metrics", func(t *testing.T) {
		exposed := map[string]bool{}
		for _, body := range metrics {
			for name := range sampleNames(body) {
				exposed[name] = true
			}
		}
		used := dashboardMetricNames(t)
		if len(used) == 0 {
			t.Fatal("the dashboard queries no metric")
		}
		for _, u := range used {
			if !exposed[u.name] {
				t.Errorf("docs/grafana-dashboard.json panel %q queries %s, which no process exposes", u.panel, u.name)
			}
		}
		charted := map[string]bool{}
		for _, u := range used {
			charted[u.name] = true
		}
		for _, m := range dashboardMetrics {
			if !charted[m] {
				t.Errorf("docs/grafana-dashboard.json has no panel for %s", m)
			}
		}
	})

	t.Run("compose runs every process of the system", func(t *testing.T) {
		p := loadCompose(t)
		inCompose := map[string]bool{}
		for _, g := range goServices(t, p) {
			inCompose[replicaSuffix.ReplaceAllString(g.Name, "")] = true
		}
		inSystem := map[string]bool{}
		for _, e := range sys.Endpoints {
			inSystem[e.Name] = true
			if !inCompose[e.Name] {
				t.Errorf("the system runs %s but docker-compose.yml does not", e.Name)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(inCompose)) {
			if !inSystem[name] {
				t.Errorf("docker-compose.yml runs %s but the all-in-one system (cmd/pitstop/system) does not", name)
			}
		}
	})
}

// sampleNames returns the names of the samples in a text exposition.
func sampleNames(body []byte) map[string]bool {
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names
}

// sampleValue sums the samples of one metric name in a text exposition.
func sampleValue(body []byte, name string) float64 {
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line[strings.LastIndexAny(line, "} ")+1:])
		if len(f) == 0 {
			f = strings.Fields(line)[1:]
		}
		if len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				sum += v
			}
		}
	}
	return sum
}

type usedMetric struct{ panel, name string }

// dashboardMetricNames returns every metric name the dashboard's queries and
// variables select, with the panel (or variable) using it.
func dashboardMetricNames(t *testing.T) []usedMetric {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title      string            `json:"title"`
		UID        string            `json:"uid"`
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("docs/grafana-dashboard.json: title %q, uid %q, %d panels: not a dashboard", dash.Title, dash.UID, len(dash.Panels))
	}
	var used []usedMetric
	add := func(where, expr string, names []string, err error) {
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		if len(names) == 0 {
			t.Errorf("%s: query %q selects no metric", where, expr)
		}
		for _, n := range names {
			used = append(used, usedMetric{where, n})
		}
	}
	var walk func(title string, v any)
	walk = func(title string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["title"].(string); ok {
				title = s
			}
			if expr, ok := x["expr"].(string); ok {
				names, err := metricNames(expr)
				add(title, expr, names, err)
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(title, x[k])
			}
		case []any:
			for _, e := range x {
				walk(title, e)
			}
		}
	}
	for _, p := range dash.Panels {
		var v any
		if err := json.Unmarshal(p, &v); err != nil {
			t.Fatal(err)
		}
		walk("", v)
	}
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &obj); err != nil {
				t.Errorf("variable %s: query %s", v.Name, v.Query)
				continue
			}
			q = obj.Query
		}
		names, err := templateMetricNames(q)
		add("variable "+v.Name, q, names, err)
	}
	return used
}
