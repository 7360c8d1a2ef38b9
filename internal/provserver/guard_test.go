package provserver

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
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

// failFor makes one failed authentication for mac from remote as user.
func (e *env) failFor(mac, remote, user string) int {
	e.t.Helper()
	uri := "/" + mac + ".xml"
	w := e.do(req{remote: remote, target: uri})
	if w.Code != 401 {
		return w.Code
	}
	a := authorize(e.t, w.Header(), "SHA-256", "GET", uri, user, "wrong")
	return e.do(req{remote: remote, target: uri, header: http.Header{"Authorization": {a}}}).Code
}

// The lockout grows: the limit-th failure in a row locks for Cooldown, each
// further one for twice as long, up to MaxCooldown. Requests in a locked lane
// get 429 before any challenge, the right password included.
func TestGuardLockoutGrows(t *testing.T) {
	const attacker = "198.51.100.1:1000"
	e := newEnv(t, Options{FailureLimit: 3, Cooldown: 10 * time.Minute, MaxCooldown: 30 * time.Minute}, entry(configuredAuth))
	for i := range 2 {
		if code := e.fail(attacker); code != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	for i, want := range []time.Duration{10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute} {
		if code := e.fail(attacker); code != 401 {
			t.Fatalf("locking failure %d: %d, want 401", i+1, code)
		}
		w := e.do(req{remote: attacker})
		if w.Code != 429 {
			t.Fatalf("after locking failure %d: %d, want 429", i+1, w.Code)
		}
		if got, wantS := w.Header().Get("Retry-After"), strconv.Itoa(int(want/time.Second)); got != wantS {
			t.Errorf("locking failure %d: Retry-After %q, want %s", i+1, got, wantS)
		}
		if w.Header().Get("WWW-Authenticate") != "" {
			t.Error("429 carries a challenge")
		}
		e.clock.Advance(want - 30*time.Second)
		if w := e.do(req{remote: attacker}); w.Code != 429 || w.Header().Get("Retry-After") != "30" {
			t.Errorf("30 s before the end: %d, Retry-After %q; want 429, 30", w.Code, w.Header().Get("Retry-After"))
		}
		e.clock.Advance(30*time.Second - time.Millisecond)
		if w := e.do(req{remote: attacker}); w.Code != 429 || w.Header().Get("Retry-After") != "1" {
			t.Errorf("1 ms before the end: %d, Retry-After %q; want 429, 1 (rounded up)", w.Code, w.Header().Get("Retry-After"))
		}
		e.clock.Advance(time.Millisecond)
	}
	// Once the lock has run out, the right password gets in; the address is
	// then known, and counts in the known lane, which starts fresh.
	if code := e.succeed(attacker); code != 200 {
		t.Fatalf("after the lockout: %d, want 200", code)
	}
	for i := range 2 {
		if code := e.fail(attacker); code != 401 {
			t.Fatalf("failure %d after success: %d, want 401", i+1, code)
		}
	}
	if code := e.succeed(attacker); code != 200 {
		t.Errorf("2 failures after a success: %d, want 200", code)
	}
}

// Item 1 of issue 11: a neighbour that shares the device's /64, or its very
// IPv4 address (a NAT, or the node address under externalTrafficPolicy:
// Cluster), failing 50 times for another MAC neither slows the device nor
// locks it out: the device's first correct answer gets 200.
func TestGuardNeighbourOtherMAC(t *testing.T) {
	tests := []struct {
		name, device, neighbour string
		deviceKnown             bool
	}{
		{"same /64, device new", "[2001:db8::10]:5060", "[2001:db8::66]:4000", false},
		{"same /64, device known", "[2001:db8::10]:5060", "[2001:db8::66]:4000", true},
		{"same IPv4, device new", "192.0.2.10:5060", "192.0.2.10:4000", false},
		{"same IPv4, device known", "192.0.2.10:5060", "192.0.2.10:4000", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			other := Entry{Namespace: testNS, Base: "other", MAC: otherMAC, Body: []byte("x"), Auth: configuredAuth}
			e := newEnv(t, Options{}, entry(configuredAuth), other)
			if tc.deviceKnown && e.succeed(tc.device) != 200 {
				t.Fatal("device's first fetch failed")
			}
			codes := map[int]int{}
			for range 50 {
				codes[e.failFor(otherMAC, tc.neighbour, testUser)]++
			}
			if codes[429] == 0 {
				t.Errorf("neighbour's 50 failures: %v, expected it to be locked out itself", codes)
			}
			if code := e.succeed(tc.device); code != 200 {
				t.Errorf("device after the neighbour's 50 failures: %d, want 200 at the first correct answer", code)
			}
		})
	}
}

// A neighbour failing for the device's own MAC locks out the other lane, not
// the address the device last authenticated from, even in the same /64.
func TestGuardNeighbourSameMAC(t *testing.T) {
	const device, neighbour = "[2001:db8::10]:5060", "[2001:db8::66]:4000"
	e := newEnv(t, Options{}, entry(configuredAuth))
	// The device has fetched from its address before (and from 127.0.0.1,
	// where httptest's real server sees it below).
	for _, a := range []string{"127.0.0.1:1", device} {
		if e.succeed(a) != 200 {
			t.Fatal("device's first fetch failed")
		}
	}
	for range 50 {
		e.fail(neighbour)
	}
	if code := e.fail(neighbour); code != 429 {
		t.Errorf("neighbour after 50 failures: %d, want 429", code)
	}
	if code := e.succeed(device); code != 200 {
		t.Errorf("device at its known address: %d, want 200", code)
	}
	// The device's full sequence too, with its failed built-in identity.
	d := e.device(e.serve(), "SHA-256")
	d.user, d.pass = testUser, testPassword
	if codes, _, _ := d.fetch(t); !slices.Equal(codes, []int{401, 401, 200}) {
		t.Errorf("device fetch: %v", codes)
	}
}

// A configured user name that is the MAC in lower case (or any case) is a real
// identity: wrong passwords for it count, whatever the case of the user name
// sent. entry.go and handler.go agree on the comparison.
func TestGuardCountsMACUsernameAnyCase(t *testing.T) {
	for _, configured := range []string{testMAC, strings.ToLower(testMAC), "7c2F80Ca21E4"} {
		for _, sent := range []string{testMAC, strings.ToLower(testMAC)} {
			t.Run(configured+"/"+sent, func(t *testing.T) {
				e := newEnv(t, Options{FailureLimit: 3}, entry(Auth{Username: configured, Password: testPassword}))
				for range 3 {
					e.failFor(testMAC, "", sent)
				}
				if w := e.do(req{}); w.Code != 429 {
					t.Errorf("after 3 wrong passwords for user %q: %d, want 429", sent, w.Code)
				}
			})
		}
	}
}

// The exemption stays for what it is for: the built-in identity of a base
// that does not accept it, with a configured user name that is not the MAC.
func TestGuardProbeExempt(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 2}, entry(configuredAuth))
	for _, user := range []string{testMAC, strings.ToLower(testMAC)} {
		for range 5 {
			if code := e.failFor(testMAC, "", user); code != 401 {
				t.Fatalf("built-in identity %q: %d, want 401", user, code)
			}
		}
	}
}

// Item 2 of issue 11: an attacker rotating through 10,000 source addresses
// (one attempt from each, 10,000 an hour, for 6 hours) gets at most 15
// guesses answered in the first hour and 1 in each hour after (the defaults:
// 10 free, then 1, 2, 4 … 32 minutes, then 1 hour each), while the device
// fetching every 10 minutes from its usual address always gets its file.
func TestGuardManyAddresses(t *testing.T) {
	e := newEnv(t, Options{}, entry(macIDAuth))
	const device = "192.0.2.10:5060"
	uri := "/" + testMAC + ".xml"
	deviceFetch := func() int {
		w := e.do(req{remote: device})
		if w.Code != 401 {
			return w.Code
		}
		a := authorize(t, w.Header(), "MD5", "GET", uri, testMAC, testMACID)
		return e.do(req{remote: device, header: http.Header{"Authorization": {a}}}).Code
	}
	if code := deviceFetch(); code != 200 {
		t.Fatalf("device's first fetch: %d", code)
	}
	const hours, perHour = 6, 10000
	answered := make([]int, hours)
	deviceOK := 0
	for hour := range hours {
		for i := range perHour {
			n := hour*perHour + i
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}), 40000).String()
			w := e.do(req{remote: src})
			if w.Code == 401 {
				guess := fmt.Sprintf("%s-%04X", testMAC, n)
				a := authorize(t, w.Header(), "SHA-256", "GET", uri, testMAC, guess)
				if code := e.do(req{remote: src, header: http.Header{"Authorization": {a}}}).Code; code == 401 {
					answered[hour]++
				} else if code != 429 {
					t.Fatalf("guess from %s: %d", src, code)
				}
			}
			if i%(perHour/6) == 0 {
				if code := deviceFetch(); code != 200 {
					t.Errorf("hour %d: device got %d, want 200", hour, code)
				} else {
					deviceOK++
				}
			}
			e.clock.Advance(time.Hour / perHour)
		}
	}
	t.Logf("guesses answered per hour: %v; device fetches: %d, all 200", answered, deviceOK)
	if answered[0] > 15 {
		t.Errorf("first hour: %d guesses answered, want at most 15", answered[0])
	}
	for h := 1; h < hours; h++ {
		if answered[h] > 1 {
			t.Errorf("hour %d: %d guesses answered, want at most 1", h, answered[h])
		}
	}
	if n := e.h.guard.len(); n != 1 {
		t.Errorf("guard tracks %d MACs, want 1 whatever the number of addresses", n)
	}
}

// A device that moves (DHCP, dual stack) becomes known at its new address by
// authenticating there; the last two addresses stay known.
func TestGuardKnownAddresses(t *testing.T) {
	const v4, v6, attacker = "192.0.2.10:1", "[2001:db8::10]:1", "198.51.100.1:1"
	e := newEnv(t, Options{FailureLimit: 3}, entry(configuredAuth))
	for _, a := range []string{v4, v6} {
		if code := e.succeed(a); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	for range 3 {
		e.fail(attacker)
	}
	for _, a := range []string{v4, v6, v4} {
		if code := e.succeed(a); code != 200 {
			t.Errorf("known %s while the other lane is locked: %d, want 200", a, code)
		}
	}
	if code := e.succeed("192.0.2.11:1"); code != 429 {
		t.Errorf("unknown address while the other lane is locked: %d, want 429", code)
	}
	// The known lane locks too: its failures are guesses like any other.
	for range 3 {
		e.fail(v4)
	}
	if code := e.succeed(v6); code != 429 {
		t.Errorf("known lane after 3 failures: %d, want 429", code)
	}
}

// A lane is forgotten after FailureWindow without failures, and both lanes
// start afresh when the base's credentials change.
func TestGuardForgetsAndResets(t *testing.T) {
	const attacker = "198.51.100.1:1"
	e := newEnv(t, Options{FailureLimit: 3, FailureWindow: time.Hour, Cooldown: time.Minute}, entry(configuredAuth))
	for range 2 {
		e.fail(attacker)
	}
	e.clock.Advance(time.Hour)
	for range 2 {
		e.fail(attacker)
	}
	if code := e.succeed(attacker); code != 200 {
		t.Errorf("2 failures an hour after 2 others: %d, want 200 (forgotten)", code)
	}
	for range 3 {
		e.fail("198.51.100.2:1")
	}
	if code := e.succeed("198.51.100.3:1"); code != 429 {
		t.Fatalf("locked: %d, want 429", code)
	}
	changed := configuredAuth
	changed.Password = testPassword + "-new"
	if err := e.store.Set(entry(changed)); err != nil {
		t.Fatal(err)
	}
	w := e.do(req{remote: "198.51.100.3:1"})
	if w.Code != 401 {
		t.Errorf("after a credential change: %d, want 401 (a fresh start)", w.Code)
	}
}

// The guard's memory follows the store: records of removed MACs go.
func TestGuardBounded(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 1})
	for i := range 1000 {
		mac := fmt.Sprintf("0004F2%06X", i)
		if err := e.store.Set(Entry{Namespace: testNS, Base: "b", MAC: mac, Body: []byte("x"), Auth: configuredAuth}); err != nil {
			t.Fatal(err)
		}
		e.failFor(mac, "", testUser)
		e.store.Delete(mac)
		// The bound is checked before a record is added, with the MAC
		// still in the store.
		if n := e.h.guard.len(); n > 2*(e.store.Len()+1)+64 {
			t.Fatalf("guard tracks %d MACs with %d in the store", n, e.store.Len())
		}
	}
}

// The device's normal sequence, its failed built-in identity included, never
// leads to a 429, however often it runs, and neither do stale nonces.
func TestGuardSparesDeviceSequence(t *testing.T) {
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
func TestGuardCountsWrongMACID(t *testing.T) {
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

func TestGuardDisabledAndUnprotected(t *testing.T) {
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

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	e := newEnv(t, Options{FailureLimit: 1, Cooldown: 1500 * time.Millisecond}, entry(configuredAuth))
	e.fail("")
	got := e.do(req{}).Header().Get("Retry-After")
	if n, err := strconv.Atoi(got); err != nil || n != 2 {
		t.Errorf("Retry-After %q for a 1.5 s cool-down, want 2", got)
	}
}
