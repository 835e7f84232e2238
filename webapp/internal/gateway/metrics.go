package gateway

import "github.com/prometheus/client_golang/prometheus"

// metrics are the gateway's Prometheus series.
type metrics struct {
	requests    *prometheus.CounterVec
	unavailable *prometheus.CounterVec
	up          *prometheus.GaugeVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pitstop_gateway_upstream_requests_total",
			Help: "Requests sent to a service instance by outcome (ok: an HTTP answer came back; error: transport failure).",
		}, []string{"service", "instance", "outcome"}),
		unavailable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pitstop_gateway_unavailable_total",
			Help: "Requests that found no healthy instance of the service.",
		}, []string{"service"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pitstop_gateway_instance_up",
			Help: "1 when the balancer considers the instance up, 0 when it skips it.",
		}, []string{"service", "instance"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.unavailable, m.up)
	}
	return m
}

func (m *metrics) setUp(service, instance string, up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.up.WithLabelValues(service, instance).Set(v)
}
