package push

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeNotifier struct {
	calls  int
	result Result
}

func (f *fakeNotifier) Notify(context.Context, Target) Result { f.calls++; return f.result }
func (f *fakeNotifier) Method() Method                        { return Direct }

func TestPusherStep(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := &Pusher{Metrics: m}
	n := &fakeNotifier{result: Result{Method: Direct, OK: true, Status: "200 OK"}}
	facts := Facts{Current: "b", Delivered: "a"}
	ctx := context.Background()

	if d, res := p.Step(ctx, "ns/office", facts, n, Target{}, t0); d.Send || res != nil {
		t.Fatalf("first step: %+v %v", d, res)
	}
	d, res := p.Step(ctx, "ns/office", facts, n, Target{}, t0.Add(DefaultDebounce))
	if !d.Send || res == nil || res.Status != "200 OK" || n.calls != 1 {
		t.Fatalf("due step: %+v %v, %d calls", d, res, n.calls)
	}
	// Another base has its own state.
	if d, _ := p.Step(ctx, "ns/lab", facts, n, Target{}, t0.Add(DefaultDebounce)); d.Send {
		t.Fatalf("a new base sent at once: %+v", d)
	}
	facts.Delivered, facts.DeliveredAt = "b", t0.Add(DefaultDebounce+400*time.Millisecond)
	d, _ = p.Step(ctx, "ns/office", facts, n, Target{}, t0.Add(2*DefaultDebounce))
	if d.Reason != UpToDate || d.FetchedAfter != 400*time.Millisecond {
		t.Fatalf("after the fetch: %+v", d)
	}
	if got := testutil.ToFloat64(m.pushes.WithLabelValues("Direct", "sent")); got != 1 {
		t.Errorf("pushes sent %v", got)
	}
	if got := testutil.CollectAndCount(m.latency); got != 1 {
		t.Errorf("latency series %d", got)
	}
	p.Forget("ns/office")
	if s := p.State("ns/office"); s.Current != "" {
		t.Errorf("state after Forget: %+v", s)
	}
}
