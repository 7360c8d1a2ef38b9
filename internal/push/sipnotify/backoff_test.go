package sipnotify

import (
	"context"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
	"github.com/dect-operator/dect-operator/internal/push"
)

// TestADeviceAnswering489IsBackedOff follows the scheduler for two hours of a fake
// clock against a device that answers every check-sync with 489: each decision to
// send is one real NOTIFY, each result reads as a person would read it, and the
// pushes thin out instead of flooding.
func TestADeviceAnswering489IsBackedOff(t *testing.T) {
	p := udpPeer(t, reply(489, "Bad Event"))
	target := push.Target{Host: "127.0.0.1", Port: p.addr.Port, Account: office}
	clock := fakeclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	start := clock.Now()
	facts := push.Facts{Current: "gen-2", Delivered: "gen-1", DeliveredAt: start.Add(-time.Hour)}
	var (
		s     push.State
		sends []time.Duration
	)
	for i := 0; i < 100; i++ {
		d := push.Decide(push.Policy{}, s, facts, clock.Now())
		s = d.State
		if d.Send {
			res := (&Direct{}).Notify(context.Background(), target)
			if res.OK || res.Status != "489 Bad Event (the device does not take check-sync)" {
				t.Fatalf("result %+v", res)
			}
			sends = append(sends, clock.Now().Sub(start))
			t.Logf("%8v  %-12s %s -> %s; next decision at +%v", clock.Now().Sub(start), d.Reason, d.Message, res.Status, d.Next.Sub(start))
		} else {
			t.Logf("%8v  %-12s %s", clock.Now().Sub(start), d.Reason, d.Message)
		}
		if d.Next.IsZero() || d.Next.Sub(start) > 2*time.Hour {
			break
		}
		clock.Set(d.Next)
	}
	if got := len(p.requests()); got != len(sends) {
		t.Errorf("%d NOTIFYs on the wire for %d decisions to send", got, len(sends))
	}
	// 1s, then 30s, 1m, 2m, 4m, 8m, 16m, 30m, 30m... after it: 9 pushes in two hours.
	if len(sends) != 9 {
		t.Errorf("pushes at %v, want 9 in two hours", sends)
	}
	for i := 2; i < len(sends); i++ {
		if sends[i]-sends[i-1] < sends[i-1]-sends[i-2] {
			t.Errorf("the gaps shrink: %v", sends)
		}
	}
}
