package ports

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Triggers of a business day start, the label of pitstop_timekeeper_day_has_passed_total.
const (
	triggerScheduler = "scheduler"
	triggerAPI       = "api"
)

// Metrics are the timekeeper's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	daysStarted      *prometheus.CounterVec
	schedulerFailed  prometheus.Counter
	nextDayTimestamp prometheus.Gauge
}

// NewMetrics registers the timekeeper's metrics on reg (nothing is registered when reg
// is nil; metrics already registered there, by another module on the same registry,
// are shared).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		daysStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pitstop_timekeeper_day_has_passed_total",
			Help: "Business days started by this process, by trigger (scheduler: start-up or midnight; api: POST /api/time/days).",
		}, []string{"trigger"}),
		schedulerFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pitstop_timekeeper_scheduler_failures_total",
			Help: "Failed attempts of the scheduler to start the current business day (retried with back-off).",
		}),
		nextDayTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pitstop_timekeeper_next_day_timestamp_seconds",
			Help: "Unix time of the next local midnight in the configured time zone, when the scheduler next starts a business day unless a later one was already started.",
		}),
	}
	if reg == nil {
		return m
	}
	m.daysStarted = register(reg, m.daysStarted)
	m.schedulerFailed = register(reg, m.schedulerFailed)
	m.nextDayTimestamp = register(reg, m.nextDayTimestamp)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (m *Metrics) dayStarted(trigger string) {
	if m != nil {
		m.daysStarted.WithLabelValues(trigger).Inc()
	}
}

func (m *Metrics) schedulerFailure() {
	if m != nil {
		m.schedulerFailed.Inc()
	}
}

func (m *Metrics) nextDayAt(unix float64) {
	if m != nil {
		m.nextDayTimestamp.Set(unix)
	}
}
