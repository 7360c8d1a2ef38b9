package provserver

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The metrics are read back through the registry's Gather, as Prometheus
// scrapes them. (prometheus/testutil would need a go.sum entry this module does
// not have yet.)

// metricValue returns the value of the series of metric name whose labels are
// exactly labels (name, value pairs), or -1 if there is none.
func metricValue(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			lps := m.GetLabel()
			if 2*len(lps) != len(labels) {
				continue
			}
			for _, lp := range lps {
				found := false
				for i := 0; i < len(labels); i += 2 {
					if labels[i] == lp.GetName() && labels[i+1] == lp.GetValue() {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// seriesCount returns the number of series of the named metrics.
func seriesCount(t *testing.T, reg prometheus.Gatherer, names ...string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		for _, name := range names {
			if mf.GetName() == name {
				n += len(mf.GetMetric())
			}
		}
	}
	return n
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 2}, entry(configuredAuth))
	d := e.device(e.serve(), "MD5")
	d.user, d.pass = testUser, testPassword
	d.fetch(t) // 401, 401 (built-in identity), 200
	e.do(req{method: "PUT"})
	e.do(req{target: "/" + otherMAC + ".xml"})
	e.do(req{target: "/favicon.ico"})
	e.do(req{method: "POST", target: "/favicon.ico"})        // bad path: 404 before 405
	e.do(req{method: "DELETE", target: "/0004F2000009.xml"}) // unknown MAC: 405, no base
	etag := `"` + mustLookup(t, e.store).Hash + `"`
	a := authorize(t, e.do(req{}).Header(), "SHA-256", "GET", "/"+testMAC+".xml", testUser, testPassword)
	e.do(req{header: http.Header{"Authorization": {a}, "If-None-Match": {etag}}})
	e.fail("203.0.113.1:1")
	e.fail("203.0.113.1:1")
	e.do(req{remote: "203.0.113.1:1"})

	count := func(ns, base, result string) float64 {
		return metricValue(t, e.reg, MetricRequests, "namespace", ns, "base", base, "result", result)
	}
	for _, tc := range []struct {
		ns, base, result string
		want             float64
	}{
		// 2 from the device, 1 before the 304, 2 first requests and 2 wrong
		// passwords from the attacker.
		{testNS, testBase, "unauthorized", 7},
		{testNS, testBase, "ok", 1},
		{testNS, testBase, "not_modified", 1},
		{testNS, testBase, "method_not_allowed", 1},
		{testNS, testBase, "throttled", 1},
		{testNS, testBase, "forbidden", 0},
		{"", "", "not_found", 3},
		{"", "", "method_not_allowed", 1},
	} {
		if got := count(tc.ns, tc.base, tc.result); got != tc.want {
			t.Errorf("requests{%s/%s, %s} = %v, want %v", tc.ns, tc.base, tc.result, got, tc.want)
		}
	}
	if got := metricValue(t, e.reg, MetricUnknownMAC); got != 1 {
		t.Errorf("unknown MAC requests = %v, want 1", got)
	}
	if got, want := metricValue(t, e.reg, MetricLastDelivery, "namespace", testNS, "base", testBase), float64(e.clock.Now().Unix()); got != want {
		t.Errorf("last delivery = %v, want %v", got, want)
	}
	if n := seriesCount(t, e.reg, MetricRequests); n != 2*int(numResults) {
		t.Errorf("%d request series, want %d: every result for the base and for no base", n, 2*numResults)
	}

	e.h.Forget(testNS, testBase)
	if n := seriesCount(t, e.reg, MetricRequests, MetricLastDelivery); n != int(numResults) {
		t.Errorf("after Forget: %d series, want only the %d of no base", n, numResults)
	}
}

// Every request is counted exactly once.
func TestMetricsCountEachRequestOnce(t *testing.T) {
	e := newEnv(t, Options{}, entry(Auth{}))
	const n = 25
	for range n {
		e.do(req{})
		e.do(req{target: "/x"})
	}
	ok := metricValue(t, e.reg, MetricRequests, "namespace", testNS, "base", testBase, "result", "ok")
	notFound := metricValue(t, e.reg, MetricRequests, "namespace", "", "base", "", "result", "not_found")
	if ok != n || notFound != n {
		t.Errorf("counted %v ok and %v not found, want %d each", ok, notFound, n)
	}
}

// A base's series go with its last entry: deleted, or its MAC given to another base;
// a base that moved to another MAC keeps them. The Store says so, no caller has to.
func TestMetricsReleasedWithTheBase(t *testing.T) {
	e := newEnv(t, Options{}, entry(Auth{}))
	series := func() int { return seriesCount(t, e.reg, MetricRequests, MetricLastDelivery) }
	base := func(ns, name, mac string) Entry {
		en := entry(Auth{})
		en.Namespace, en.Base, en.MAC, en.Hash = ns, name, mac, ""
		return en
	}
	fetch := func(mac string) {
		t.Helper()
		if w := e.do(req{target: "/" + mac + ".xml"}); w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", mac, w.Code)
		}
	}
	fetch(testMAC)
	onlyUnknown := int(numResults)
	withOneBase := series()
	if withOneBase != onlyUnknown+int(numResults)+1 {
		t.Fatalf("%d series with one base fetched, want %d", withOneBase, onlyUnknown+int(numResults)+1)
	}

	steps := []struct {
		what   string
		change func()
		want   int
	}{
		{"the base moves to another MAC", func() {
			mustSet(t, e.store, base(testNS, testBase, otherMAC))
			e.store.Delete(testMAC)
			fetch(otherMAC)
		}, withOneBase},
		{"its MAC is given to another base", func() {
			mustSet(t, e.store, base("other-ns", "other-base", otherMAC))
		}, onlyUnknown},
		{"the other base fetches, then is deleted", func() {
			fetch(otherMAC)
			e.store.Delete(otherMAC)
		}, onlyUnknown},
	}
	for _, s := range steps {
		s.change()
		if got := series(); got != s.want {
			t.Errorf("%s: %d series, want %d", s.what, got, s.want)
		}
	}
}

func mustSet(t *testing.T, s *Store, e Entry) {
	t.Helper()
	if err := s.Set(e); err != nil {
		t.Fatal(err)
	}
}
