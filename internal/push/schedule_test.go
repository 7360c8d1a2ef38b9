package push

import (
	"fmt"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// base drives Decide the way a reconciler does: on every change it observes, and again
// at the decision's Next. It records the pushes it was told to send.
type base struct {
	t     *testing.T
	p     Policy
	clock *fakeclock.Clock
	s     State
	f     Facts
	last  Decision
	sent  []time.Time
	why   []Reason
}

func newBase(t *testing.T, p Policy) *base {
	return &base{t: t, p: p, clock: fakeclock.New(t0)}
}

func (b *base) decide() Decision {
	b.last = Decide(b.p, b.s, b.f, b.clock.Now())
	b.s = b.last.State
	if b.last.Send {
		b.sent = append(b.sent, b.clock.Now())
		b.why = append(b.why, b.last.Reason)
	}
	return b.last
}

// until follows the decisions' Next times up to t0+limit, deciding at each.
func (b *base) until(limit time.Duration) {
	end := t0.Add(limit)
	for i := 0; i < 10000; i++ {
		next := b.last.Next
		if next.IsZero() || next.After(end) {
			b.clock.Set(end)
			return
		}
		if next.After(b.clock.Now()) {
			b.clock.Set(next)
		}
		b.decide()
	}
	b.t.Fatal("Decide never settled: a loop that does not advance")
}

func (b *base) at(d time.Duration) { b.clock.Set(t0.Add(d)) }

func offsets(ts []time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, t := range ts {
		out[i] = t.Sub(t0)
	}
	return out
}

func TestDecideBurstSendsOnceAfterDebounce(t *testing.T) {
	b := newBase(t, Policy{})
	b.f.Delivered, b.f.DeliveredAt = "gen-0", t0.Add(-time.Hour)
	// 100 handsets applied at once: 100 generations within a second.
	for i := 1; i <= 100; i++ {
		b.at(time.Duration(i) * 10 * time.Millisecond)
		b.f.Current = fmt.Sprintf("gen-%d", i)
		if d := b.decide(); d.Send || d.Reason != Debouncing {
			t.Fatalf("change %d: got send=%v %s, want Debouncing", i, d.Send, d.Reason)
		}
	}
	b.until(time.Second + DefaultDebounce + time.Second)
	if got := offsets(b.sent); len(got) != 1 || got[0] != time.Second+DefaultDebounce {
		t.Fatalf("pushes at %v, want one at %v", got, time.Second+DefaultDebounce)
	}
	if b.why[0] != Changed {
		t.Errorf("reason %s, want %s", b.why[0], Changed)
	}
	// The device fetches 300 ms after the push: retries stop and the latency shows once.
	b.at(time.Second + DefaultDebounce + 300*time.Millisecond)
	b.f.Delivered, b.f.DeliveredAt = "gen-100", b.clock.Now()
	d := b.decide()
	if d.Send || d.Reason != UpToDate || !d.Next.IsZero() || d.FetchedAfter != 300*time.Millisecond {
		t.Fatalf("after fetch: %+v", d)
	}
	if d := b.decide(); d.FetchedAfter != 0 {
		t.Errorf("latency reported twice: %v", d.FetchedAfter)
	}
	b.until(24 * time.Hour)
	if len(b.sent) != 1 {
		t.Errorf("pushes after the fetch: %v", offsets(b.sent))
	}
}

func TestDecideMaxDelayBoundsAFileThatKeepsChanging(t *testing.T) {
	b := newBase(t, Policy{})
	for i := 0; i < 30; i++ {
		b.at(time.Duration(i) * time.Second)
		b.f.Current = fmt.Sprintf("gen-%d", i)
		b.decide()
	}
	if got := offsets(b.sent); len(got) == 0 || got[0] != DefaultMaxDelay {
		t.Fatalf("first push at %v, want %v after the device fell behind", got, DefaultMaxDelay)
	}
	// A new file after that push starts afresh but still honours MinInterval.
	for i, at := range b.sent[1:] {
		if gap := at.Sub(b.sent[i]); gap < DefaultMinInterval {
			t.Errorf("pushes %v apart, want at least %v", gap, DefaultMinInterval)
		}
	}
}

func TestDecideBacksOffWhileTheDeviceDoesNotFetch(t *testing.T) {
	b := newBase(t, Policy{})
	b.f.Current = "gen-1"
	b.decide()
	b.until(3 * time.Hour)
	want := []time.Duration{DefaultDebounce}
	gap := DefaultBackoff
	for at := want[0]; ; {
		at += gap
		if at > 3*time.Hour {
			break
		}
		want = append(want, at)
		gap = min(2*gap, DefaultMaxBackoff)
	}
	got := offsets(b.sent)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pushes at\n %v\nwant\n %v", got, want)
	}
	for i, r := range b.why {
		if (i == 0) != (r == Changed) || (i > 0 && r != Retry) {
			t.Errorf("push %d: reason %s", i, r)
		}
	}
	// Between pushes the decision says it is backing off, and until when.
	again := newBase(t, Policy{})
	again.f.Current = "gen-1"
	again.decide()
	again.until(got[2] + time.Second)
	if d := again.decide(); d.Send || d.Reason != BackingOff || !d.Next.Equal(t0.Add(got[3])) {
		t.Errorf("between pushes: %+v", d)
	}
	assertHourly(t, b.sent, DefaultMaxPerHour)
}

func TestDecideForcedPushOncePerValue(t *testing.T) {
	b := newBase(t, Policy{})
	b.f.Current, b.f.Delivered, b.f.DeliveredAt = "gen-1", "gen-1", t0.Add(-time.Hour)
	if d := b.decide(); d.Send || d.Reason != UpToDate {
		t.Fatalf("up to date: %+v", d)
	}
	b.at(time.Second)
	b.f.Force = "now"
	if d := b.decide(); !d.Send || d.Reason != Forced || !d.Next.IsZero() {
		t.Fatalf("forced: %+v", d)
	}
	b.until(time.Hour)
	if len(b.sent) != 1 {
		t.Fatalf("the same annotation value pushed %d times", len(b.sent))
	}
	// A new value 3 s after the last push waits for MinInterval, then pushes once.
	b.at(time.Hour)
	b.f.Force = "again"
	b.decide()
	b.at(time.Hour + 3*time.Second)
	b.f.Force = "and-again"
	d := b.decide()
	if d.Send || d.Reason != RateLimited || !d.Next.Equal(t0.Add(time.Hour+DefaultMinInterval)) {
		t.Fatalf("second force within MinInterval: %+v", d)
	}
	b.until(2 * time.Hour)
	if got := offsets(b.sent); fmt.Sprint(got) != fmt.Sprint([]time.Duration{time.Second, time.Hour, time.Hour + DefaultMinInterval}) {
		t.Fatalf("pushes at %v", got)
	}
}

func TestDecideHourlyLimitHoldsAgainstAnyTrigger(t *testing.T) {
	b := newBase(t, Policy{})
	b.f.Current = "gen-0"
	// Someone annotates every 5 s and the file changes every 7 s, for two hours.
	limited := 0
	for at := time.Duration(0); at < 2*time.Hour; at += time.Second {
		b.at(at)
		changed := false
		if at%(5*time.Second) == 0 {
			b.f.Force, changed = fmt.Sprint(at), true
		}
		if at%(7*time.Second) == 0 {
			b.f.Current, changed = fmt.Sprint("gen-", at), true
		}
		if changed || (!b.last.Next.IsZero() && !b.clock.Now().Before(b.last.Next)) {
			if b.decide().Reason == HourlyLimit {
				limited++
			}
		}
	}
	assertHourly(t, b.sent, DefaultMaxPerHour)
	if len(b.sent) != 2*DefaultMaxPerHour {
		t.Errorf("%d pushes in two hours, want the cap, %d", len(b.sent), 2*DefaultMaxPerHour)
	}
	if limited == 0 {
		t.Error("no decision said HourlyLimit")
	}
}

func TestDecideBringsOnePushForwardBeforeAWindow(t *testing.T) {
	b := newBase(t, Policy{})
	b.f.Current = "gen-1"
	b.f.WindowOpensAt = t0.Add(40 * time.Minute)
	b.decide()
	b.until(time.Hour)
	lead := 40*time.Minute - DefaultWindowLead
	found := 0
	for i, at := range offsets(b.sent) {
		if b.why[i] == WindowOpening {
			found++
			if at != lead {
				t.Errorf("window push at %v, want %v", at, lead)
			}
		}
	}
	if found != 1 {
		t.Fatalf("window pushes: %d in %v %v", found, offsets(b.sent), b.why)
	}
	// Without the window the backoff alone would have waited 30 minutes after the 7th push.
	var want []time.Duration
	for _, s := range []time.Duration{0, 30, 90, 210, 450, 930, 1890} {
		want = append(want, DefaultDebounce+s*time.Second)
	}
	want = append(want, lead)
	got := offsets(b.sent)
	if len(got) < len(want) || fmt.Sprint(got[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("pushes at %v, want %v first", got, want)
	}
	assertHourly(t, b.sent, DefaultMaxPerHour)
}

func TestDecideNoWindowPushForAnUpToDateDevice(t *testing.T) {
	b := newBase(t, Policy{})
	b.f.Current, b.f.Delivered = "gen-1", "gen-1"
	b.f.WindowOpensAt = t0.Add(10 * time.Minute)
	b.decide()
	b.until(time.Hour)
	if len(b.sent) != 0 {
		t.Fatalf("pushed an up-to-date device at %v", offsets(b.sent))
	}
}

func TestDecideRules(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := []struct {
		name   string
		p      Policy
		s      State
		f      Facts
		send   bool
		reason Reason
		next   time.Time
	}{
		{"nothing served", Policy{}, State{}, Facts{}, false, NothingYet, time.Time{}},
		{"new file debounces", Policy{}, State{}, Facts{Current: "a"}, false, Debouncing, now.Add(DefaultDebounce)},
		{"custom debounce", Policy{Debounce: 5 * time.Second, MaxDelay: time.Minute}, State{}, Facts{Current: "a"}, false, Debouncing, now.Add(5 * time.Second)},
		{"settled file pushes", Policy{}, State{Current: "a", ChangedAt: now.Add(-3 * time.Second), Pending: now.Add(-3 * time.Second)},
			Facts{Current: "a"}, true, Changed, now.Add(DefaultBackoff)},
		{"up to date", Policy{}, State{Current: "a"}, Facts{Current: "a", Delivered: "a"}, false, UpToDate, time.Time{}},
		{"retry due", Policy{}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Pending: now.Add(-time.Hour), Attempts: 2, LastSent: now.Add(-time.Minute)},
			Facts{Current: "a"}, true, Retry, now.Add(2 * time.Minute)},
		{"retry waits", Policy{}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Pending: now.Add(-time.Hour), Attempts: 3, LastSent: now.Add(-time.Minute)},
			Facts{Current: "a"}, false, BackingOff, now.Add(time.Minute)},
		{"backoff capped", Policy{MaxBackoff: 5 * time.Minute}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Pending: now.Add(-time.Hour), Attempts: 20, LastSent: now.Add(-time.Minute)},
			Facts{Current: "a"}, false, BackingOff, now.Add(4 * time.Minute)},
		{"new file resets attempts but not MinInterval", Policy{}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Attempts: 5, LastSent: now.Add(-time.Second)},
			Facts{Current: "b"}, false, Debouncing, now.Add(DefaultDebounce)},
		{"forced while rate limited", Policy{}, State{Current: "a", LastSent: now.Add(-time.Second)},
			Facts{Current: "a", Delivered: "a", Force: "x"}, false, RateLimited, now.Add(DefaultMinInterval - time.Second)},
		{"force already handled", Policy{}, State{Current: "a", Forced: "x"}, Facts{Current: "a", Delivered: "a", Force: "x"}, false, UpToDate, time.Time{}},
		{"window within lead", Policy{}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Pending: now.Add(-time.Hour), Attempts: 6, LastSent: now.Add(-time.Minute)},
			Facts{Current: "a", WindowOpensAt: now.Add(time.Minute)}, true, WindowOpening, now.Add(DefaultMaxBackoff)},
		{"window already pushed for", Policy{}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Pending: now.Add(-time.Hour), Attempts: 6, LastSent: now.Add(-time.Minute), Window: now.Add(time.Minute)},
			Facts{Current: "a", WindowOpensAt: now.Add(time.Minute)}, false, BackingOff, now.Add(15 * time.Minute)},
		{"backing off wakes for the window", Policy{}, State{Current: "a", ChangedAt: now.Add(-time.Hour), Pending: now.Add(-time.Hour), Attempts: 6, LastSent: now.Add(-time.Minute)},
			Facts{Current: "a", WindowOpensAt: now.Add(10 * time.Minute)}, false, BackingOff, now.Add(8 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.p, tt.s, tt.f, now)
			if d.Send != tt.send || d.Reason != tt.reason || !d.Next.Equal(tt.next) {
				t.Fatalf("got send=%v %s next %v (%s)\nwant send=%v %s next %v", d.Send, d.Reason, d.Next.Sub(now), d.Message, tt.send, tt.reason, tt.next.Sub(now))
			}
			if d.Message == "" {
				t.Error("no message for the person reading status")
			}
		})
	}
}

// assertHourly checks that no window of one hour holds more than max sends.
func assertHourly(t *testing.T, sent []time.Time, max int) {
	t.Helper()
	for i := range sent {
		n := 0
		for _, s := range sent[i:] {
			if s.Sub(sent[i]) < time.Hour {
				n++
			}
		}
		if n > max {
			t.Fatalf("%d pushes within the hour from %v", n, sent[i].Sub(t0))
		}
	}
}
