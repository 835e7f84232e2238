package deploytest

import (
	"slices"
	"testing"
)

func TestMetricNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string
	}{
		{"up", []string{"up"}},
		{`max by (outbox) (pitstop_outbox_backlog)`, []string{"pitstop_outbox_backlog"}},
		{`histogram_quantile(0.99, sum by (le, outbox) (rate(pitstop_outbox_relay_latency_seconds_bucket[$__rate_interval])))`,
			[]string{"pitstop_outbox_relay_latency_seconds_bucket"}},
		{`sum(rate(a_total{code=~"5..", route!~"/x|{y}"}[5m])) by (route) / ignoring(code) sum(rate(b_total[5m] offset 1h))`,
			[]string{"a_total", "b_total"}},
		{`x > bool 1e-3 and on (job) group_left(instance) y unless z or ${var}`, []string{"x", "y", "z"}},
		{`sum without (instance) (foo:bar:rate5m) * 100 + inf`, []string{"foo:bar:rate5m"}},
		{`label_replace(m, "dst", "$1", "src", "(.*)")`, []string{"m"}},
	}
	for _, tc := range tests {
		got, err := metricNames(tc.expr)
		if err != nil {
			t.Errorf("metricNames(%q): %v", tc.expr, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
	for _, bad := range []string{`sum(x{a="b"`, `x{a="b}`, `rate(x[5m)`} {
		if _, err := metricNames(bad); err == nil {
			t.Errorf("metricNames(%q) accepted an unbalanced expression", bad)
		}
	}
	if got, _ := templateMetricNames("label_values(pitstop_http_requests_total{job=~\"a\"}, service)"); !slices.Equal(got, []string{"pitstop_http_requests_total"}) {
		t.Errorf("templateMetricNames(label_values(...)) = %v", got)
	}
}
