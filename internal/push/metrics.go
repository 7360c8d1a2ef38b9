package push

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names, exported for dashboards and tests.
const (
	MetricPushes       = "dect_push_notifications_total"
	MetricFetchLatency = "dect_push_to_fetch_seconds"
)

// Metrics counts pushes by method and result, and how long after a push the device
// fetched. Labels are the method and the result only (no base): their number is fixed.
// A nil *Metrics records nothing.
type Metrics struct {
	pushes  *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewMetrics returns Metrics registered with reg (nil: not registered, for tests).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricPushes,
			Help: "Check-sync pushes sent, by method (Direct, AsteriskAMI, FreeSWITCH) and result (sent, failed).",
		}, []string{"method", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricFetchLatency,
			Help: "Time from a push to the device's fetch of the pushed file, by method.",
			// From a LAN round trip to the point where the periodic timer is the more
			// likely cause.
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800},
		}, []string{"method"}),
	}
	for _, method := range []Method{Direct, AsteriskAMI, FreeSWITCH} {
		m.pushes.WithLabelValues(string(method), "sent")
		m.pushes.WithLabelValues(string(method), "failed")
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.pushes, m.latency} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("push: registering metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Pushed counts one push's result.
func (m *Metrics) Pushed(r Result) {
	if m == nil {
		return
	}
	result := "failed"
	if r.OK {
		result = "sent"
	}
	m.pushes.WithLabelValues(string(r.Method), result).Inc()
}

// Fetched records a device's fetch d after a push by method (Decision.FetchedAfter);
// a negative d (a clock that stepped back) is not observed.
func (m *Metrics) Fetched(method Method, d time.Duration) {
	if m == nil || d < 0 {
		return
	}
	m.latency.WithLabelValues(string(method)).Observe(d.Seconds())
}
