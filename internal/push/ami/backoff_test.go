package ami

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
	"github.com/dect-operator/dect-operator/internal/push"
)

// TestFailingPBXIsBackedOff follows the scheduler for an hour of a fake clock against
// a PBX that refuses the secret, and one that is not there: every decision to send is
// one real session, every result says what is wrong without the secret, and the
// sessions thin out.
func TestFailingPBXIsBackedOff(t *testing.T) {
	f := newFake()
	wrong := &Notifier{Addr: f.start(t), Username: "provd", Secret: "wrong-" + secret}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		name   string
		n      *Notifier
		status string
	}{
		{"wrong secret", wrong, `Asterisk login as "provd": Authentication failed`},
		{"unreachable", &Notifier{Addr: gone, Username: "provd", Secret: secret}, "Asterisk manager at " + gone + ": connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := fakeclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			start := clock.Now()
			facts := push.Facts{Current: "gen-2", Delivered: "gen-1"}
			var s push.State
			sends := 0
			for i := 0; i < 100; i++ {
				d := push.Decide(push.Policy{}, s, facts, clock.Now())
				s = d.State
				if d.Send {
					sends++
					res := tc.n.Notify(context.Background(), target)
					if res.OK || res.Status != tc.status || strings.Contains(res.Status, secret) {
						t.Fatalf("result %+v", res)
					}
					t.Logf("%8v %-12s -> %s; next at +%v", clock.Now().Sub(start), d.Reason, res.Status, d.Next.Sub(start))
				}
				if d.Next.IsZero() || d.Next.Sub(start) > time.Hour {
					break
				}
				clock.Set(d.Next)
			}
			// 1s, 31s, 1m31s, 3m31s, 7m31s, 15m31s, 31m31s: 7 in the first hour.
			if sends != 7 {
				t.Errorf("%d sessions in an hour, want 7", sends)
			}
		})
	}
	if logins := len(f.received()); logins != 7 {
		t.Errorf("the PBX saw %d logins, want 7", logins)
	}
}
