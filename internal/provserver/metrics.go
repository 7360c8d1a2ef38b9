package provserver

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// result is the outcome of a request, the "result" label of the requests
// metric.
type result uint8

const (
	resultOK result = iota
	resultNotModified
	resultUnauthorized
	resultForbidden
	resultNotFound
	resultThrottled
	resultMethodNotAllowed
	numResults
)

var resultNames = [numResults]string{
	resultOK:               "ok",
	resultNotModified:      "not_modified",
	resultUnauthorized:     "unauthorized",
	resultForbidden:        "forbidden",
	resultNotFound:         "not_found",
	resultThrottled:        "throttled",
	resultMethodNotAllowed: "method_not_allowed",
}

// Metric names, exported for dashboards and tests.
const (
	MetricRequests     = "dect_provisioning_requests_total"
	MetricUnknownMAC   = "dect_provisioning_unknown_mac_requests_total"
	MetricLastDelivery = "dect_provisioning_last_delivery_timestamp_seconds"
	MetricFirmware     = "dect_provisioning_firmware_requests_total"
	// ConnLimiter.Register
	MetricConnectionsOpen    = "dect_provisioning_connections_open"
	MetricConnectionsRefused = "dect_provisioning_connections_refused_total"
)

type metrics struct {
	requests     *prometheus.CounterVec
	unknownMAC   prometheus.Counter
	firmware     prometheus.Counter
	lastDelivery *prometheus.GaugeVec

	mu    sync.Mutex
	bases map[baseID]*baseMetrics
	// none counts requests that match no base (bad path, unknown MAC), with
	// empty namespace and base labels.
	none *baseMetrics
}

type baseID struct{ namespace, base string }

// baseMetrics are one base's metric children, resolved once so that counting
// a request is one atomic add.
type baseMetrics struct {
	results      [numResults]prometheus.Counter
	lastDelivery prometheus.Gauge
}

// handlerMetrics ties a baseMetrics to the handler whose registry it belongs
// to, for the per-entry cache (see served.metrics).
type handlerMetrics struct {
	h *Handler
	m *baseMetrics
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests,
			Help: "Requests to the provisioning server by base and result (ok, not_modified, unauthorized, forbidden: a refused source address, answered as an unknown MAC; not_found, throttled: the guessing lockout's 429, method_not_allowed).",
		}, []string{"namespace", "base", "result"}),
		unknownMAC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricUnknownMAC,
			Help: "Requests for the file of a MAC that no DectBase declares.",
		}),
		firmware: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricFirmware,
			Help: "Requests answered from the firmware directory (whole files, ranges and not-modified answers).",
		}),
		lastDelivery: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricLastDelivery,
			Help: "Time of the last delivery (200 or 304 to a GET) of a base's file, in Unix seconds.",
		}, []string{"namespace", "base"}),
		bases: make(map[baseID]*baseMetrics),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.unknownMAC, m.firmware, m.lastDelivery} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("provserver: registering metrics: %w", err)
			}
		}
	}
	m.none = m.forBase(baseID{})
	return m, nil
}

// forBase returns the children for a base, creating them on first use. The
// label values come only from the Store, so their number is bounded by the
// bases declared, never by what clients send.
func (m *metrics) forBase(id baseID) *baseMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.bases[id]; ok {
		return b
	}
	b := &baseMetrics{}
	for r := range numResults {
		b.results[r] = m.requests.WithLabelValues(id.namespace, id.base, resultNames[r])
	}
	if id != (baseID{}) {
		b.lastDelivery = m.lastDelivery.WithLabelValues(id.namespace, id.base)
	}
	m.bases[id] = b
	return b
}

// Forget drops a deleted base's metrics, so that they stop being exported.
func (h *Handler) Forget(namespace, base string) {
	m := h.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	id := baseID{namespace, base}
	delete(m.bases, id)
	for r := range numResults {
		m.requests.DeleteLabelValues(namespace, base, resultNames[r])
	}
	m.lastDelivery.DeleteLabelValues(namespace, base)
}
