package provserver

import (
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"
)

// fail makes one failed authentication from remote.
func (e *env) fail(remote string) int {
	e.t.Helper()
	w := e.do(req{remote: remote})
	if w.Code != 401 {
		return w.Code
	}
	a := authorize(e.t, w.Header(), "SHA-256", "GET", "/"+testMAC+".xml", testUser, "wrong")
	return e.do(req{remote: remote, header: http.Header{"Authorization": {a}}}).Code
}

// succeed authenticates from remote and returns the final status.
func (e *env) succeed(remote string) int {
	e.t.Helper()
	w := e.do(req{remote: remote})
	if w.Code != 401 {
		return w.Code
	}
	a := authorize(e.t, w.Header(), "SHA-256", "GET", "/"+testMAC+".xml", testUser, testPassword)
	return e.do(req{remote: remote, header: http.Header{"Authorization": {a}}}).Code
}

func TestThrottle(t *testing.T) {
	const attacker, other = "198.51.100.1:1000", "198.51.100.2:1000"
	e := newEnv(t, Options{FailureLimit: 3, FailureWindow: time.Minute, Cooldown: 10 * time.Minute}, entry(configuredAuth))
	for i := range 3 {
		if code := e.fail(attacker); code != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	// Cooling down: even the right password gets 429, before any challenge.
	w := e.do(req{remote: attacker})
	if w.Code != 429 {
		t.Fatalf("after 3 failures: %d, want 429", w.Code)
	}
	if got := w.Header().Get("Retry-After"); got != "600" {
		t.Errorf("Retry-After %q, want 600", got)
	}
	if w.Header().Get("WWW-Authenticate") != "" {
		t.Error("429 carries a challenge")
	}
	// Others are not affected.
	if code := e.succeed(other); code != 200 {
		t.Errorf("another client: %d, want 200", code)
	}
	e.clock.Advance(9*time.Minute + 30*time.Second)
	if w := e.do(req{remote: attacker}); w.Code != 429 || w.Header().Get("Retry-After") != "30" {
		t.Errorf("30 s before the end: %d, Retry-After %q; want 429, 30", w.Code, w.Header().Get("Retry-After"))
	}
	e.clock.Advance(30*time.Second - time.Millisecond)
	if w := e.do(req{remote: attacker}); w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Errorf("1 ms before the end: %d, Retry-After %q; want 429, 1 (rounded up)", w.Code, w.Header().Get("Retry-After"))
	}
	e.clock.Advance(time.Millisecond)
	if code := e.succeed(attacker); code != 200 {
		t.Errorf("after the cool-down: %d, want 200", code)
	}
	// The count starts afresh: it takes 3 new failures to block again.
	for i := range 2 {
		if code := e.fail(attacker); code != 401 {
			t.Fatalf("failure %d after cool-down: %d, want 401", i+1, code)
		}
	}
	if code := e.succeed(attacker); code != 200 {
		t.Errorf("2 failures after cool-down: %d, want 200", code)
	}
}

func TestThrottleWindow(t *testing.T) {
	const attacker = "198.51.100.1:1000"
	e := newEnv(t, Options{FailureLimit: 3, FailureWindow: time.Minute, Cooldown: time.Hour}, entry(configuredAuth))
	// Three failures spread over more than the window never block...
	for range 10 {
		if code := e.fail(attacker); code != 401 {
			t.Fatalf("spread-out failure: %d, want 401", code)
		}
		e.clock.Advance(31 * time.Second)
	}
	// ...three within it do.
	e.fail(attacker)
	e.clock.Advance(29 * time.Second)
	e.fail(attacker)
	e.clock.Advance(29 * time.Second)
	e.fail(attacker)
	if w := e.do(req{remote: attacker}); w.Code != 429 {
		t.Errorf("3 failures in 58 s: %d, want 429", w.Code)
	}
}

// The device's normal sequence, its failed built-in identity included, never
// leads to a 429, however often it runs, and neither do stale nonces.
func TestThrottleSparesDeviceSequence(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 2}, entry(configuredAuth))
	d := e.device(e.serve(), "SHA-256")
	d.user, d.pass = testUser, testPassword
	for i := range 20 {
		codes, _, _ := d.fetch(t)
		if !slices.Equal(codes, []int{401, 401, 200}) {
			t.Fatalf("fetch %d: %v, want [401 401 200]", i+1, codes)
		}
	}
	uri := "/" + testMAC + ".xml"
	for i := range 5 {
		a := authorize(t, e.do(req{}).Header(), "MD5", "GET", uri, testUser, testPassword)
		e.clock.Advance(time.Hour)
		if w := e.do(req{header: http.Header{"Authorization": {a}}}); w.Code != 401 {
			t.Fatalf("stale %d: %d, want 401", i, w.Code)
		}
	}
	if code := e.succeed(""); code != 200 {
		t.Errorf("after stale nonces: %d, want 200", code)
	}
}

// When the base does accept the built-in identity, a wrong MAC-ID is a real
// failure: otherwise the MAC-ID could be guessed without limit.
func TestThrottleCountsWrongMACID(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 3}, entry(macIDAuth))
	uri := "/" + testMAC + ".xml"
	for range 3 {
		a := authorize(t, e.do(req{}).Header(), "SHA-256", "GET", uri, testMAC, "7C2F80CA21E4-GUESS")
		e.do(req{header: http.Header{"Authorization": {a}}})
	}
	if w := e.do(req{}); w.Code != 429 {
		t.Errorf("after 3 wrong MAC-IDs: %d, want 429", w.Code)
	}
}

func TestThrottleDisabledAndUnprotected(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: -1}, entry(configuredAuth))
	for range 3 * DefaultFailureLimit {
		if code := e.fail(""); code != 401 {
			t.Fatalf("throttling disabled: %d, want 401", code)
		}
	}
	// A client cooling down still gets files that need no authentication.
	e = newEnv(t, Options{FailureLimit: 1}, entry(configuredAuth),
		Entry{Namespace: testNS, Base: "open", MAC: otherMAC, Body: []byte("x")})
	e.fail("")
	if w := e.do(req{}); w.Code != 429 {
		t.Fatalf("protected base: %d, want 429", w.Code)
	}
	if w := e.do(req{target: "/" + otherMAC + ".xml"}); w.Code != 200 {
		t.Errorf("unprotected base while cooling down: %d, want 200", w.Code)
	}
}

func TestThrottleKeys(t *testing.T) {
	th := newThrottle(1, time.Minute, time.Minute, 10)
	now := time.Unix(0, 0)
	th.fail(netip.MustParseAddr("2001:db8::1"), now)
	for _, a := range []string{"2001:db8::2", "2001:db8::ffff:1"} {
		if _, blocked := th.blocked(netip.MustParseAddr(a), now); !blocked {
			t.Errorf("%s, in the same /64, is not blocked", a)
		}
	}
	for _, a := range []string{"2001:db8:0:1::1", "192.0.2.1"} {
		if _, blocked := th.blocked(netip.MustParseAddr(a), now); blocked {
			t.Errorf("%s is blocked", a)
		}
	}
}

func TestThrottleBounded(t *testing.T) {
	const max = 16
	th := newThrottle(2, time.Minute, time.Minute, max)
	now := time.Unix(0, 0)
	first := netip.MustParseAddr("10.0.0.1")
	th.fail(first, now)
	th.fail(first, now) // blocked
	for i := range 100 {
		th.fail(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), now)
		if n := th.len(); n > max {
			t.Fatalf("tracking %d clients, want at most %d", n, max)
		}
	}
	// The least recently failing client was forgotten: that is the price of a
	// bound, documented on throttle.
	if _, blocked := th.blocked(first, now); blocked {
		t.Error("the oldest client is still tracked beyond the bound")
	}
}

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 1, Cooldown: 1500 * time.Millisecond}, entry(configuredAuth))
	e.fail("")
	got := e.do(req{}).Header().Get("Retry-After")
	if n, err := strconv.Atoi(got); err != nil || n != 2 {
		t.Errorf("Retry-After %q for a 1.5 s cool-down, want 2", got)
	}
}
