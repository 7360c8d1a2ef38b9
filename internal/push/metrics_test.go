package push

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Pushed(Result{Method: Direct, OK: true, Status: "200 OK"})
	m.Pushed(Result{Method: AsteriskAMI, Status: "Asterisk login as \"provd\": Authentication failed"})
	m.Pushed(Result{Method: AsteriskAMI, Status: "Asterisk manager at 127.0.0.1:5038: connection refused"})
	m.Fetched(Direct, 700*time.Millisecond)
	m.Fetched(Direct, -time.Second) // a clock step backwards: nothing to observe

	want := `
# HELP dect_push_notifications_total Check-sync pushes sent, by method (Direct, AsteriskAMI, FreeSWITCH) and result (sent, failed).
# TYPE dect_push_notifications_total counter
dect_push_notifications_total{method="AsteriskAMI",result="failed"} 2
dect_push_notifications_total{method="AsteriskAMI",result="sent"} 0
dect_push_notifications_total{method="Direct",result="failed"} 0
dect_push_notifications_total{method="Direct",result="sent"} 1
dect_push_notifications_total{method="FreeSWITCH",result="failed"} 0
dect_push_notifications_total{method="FreeSWITCH",result="sent"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricPushes); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.latency); n != 1 {
		t.Errorf("%d latency series, want 1", n)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice succeeded")
	}
	var none *Metrics
	none.Pushed(Result{Method: Direct})
	none.Fetched(Direct, time.Second)
}
