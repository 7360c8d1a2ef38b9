package provserver

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// throttle slows down clients that keep failing to authenticate: after limit
// failures within window from one client, every authenticated request from it
// is answered 429 for cooldown.
//
// Clients are IPv4 addresses or IPv6 /64 networks (one host usually owns a
// whole /64, so per-address keys would be free to evade). The table is bounded:
// past max clients the least recently failing one is forgotten. An attacker
// with very many addresses can thus dilute it, but not grow memory; per-address
// throttling cannot stop a botnet anyway, strong passwords do. Requests whose
// address cannot be read (see clientAddr) share one key. Only bases that
// require authentication are throttled: refusing a file anyone may fetch would
// protect nothing.
type throttle struct {
	limit    int
	window   time.Duration
	cooldown time.Duration
	max      int

	mu      sync.Mutex
	clients map[netip.Addr]*list.Element // of *throttled
	lru     list.List                    // most recently failed first
}

type throttled struct {
	key   netip.Addr
	fails []time.Time // ring of the last limit failures
	next  int         // oldest failure once the ring is full
	n     int
	until time.Time // blocked until
}

func newThrottle(limit int, window, cooldown time.Duration, max int) *throttle {
	return &throttle{limit: limit, window: window, cooldown: cooldown, max: max,
		clients: make(map[netip.Addr]*list.Element)}
}

func throttleKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// blocked reports whether a is cooling down and for how much longer.
func (t *throttle) blocked(a netip.Addr, now time.Time) (time.Duration, bool) {
	if t == nil {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.clients[throttleKey(a)]
	if !ok {
		return 0, false
	}
	c := el.Value.(*throttled)
	if wait := c.until.Sub(now); wait > 0 {
		return wait, true
	}
	return 0, false
}

// fail records a failed authentication from a and reports whether it started
// a cool-down.
func (t *throttle) fail(a netip.Addr, now time.Time) bool {
	if t == nil {
		return false
	}
	k := throttleKey(a)
	t.mu.Lock()
	defer t.mu.Unlock()
	var c *throttled
	if el, ok := t.clients[k]; ok {
		c = el.Value.(*throttled)
		t.lru.MoveToFront(el)
	} else {
		if t.lru.Len() >= t.max {
			old := t.lru.Back()
			delete(t.clients, old.Value.(*throttled).key)
			t.lru.Remove(old)
		}
		c = &throttled{key: k, fails: make([]time.Time, t.limit)}
		t.clients[k] = t.lru.PushFront(c)
	}
	c.fails[c.next] = now
	c.next = (c.next + 1) % t.limit
	c.n = min(c.n+1, t.limit)
	// With the ring full, c.next is the oldest of the last limit failures.
	if c.n == t.limit && now.Sub(c.fails[c.next]) < t.window {
		c.until = now.Add(t.cooldown)
		c.n = 0 // a fresh start after the cool-down
		return true
	}
	return false
}

// len returns the number of clients tracked.
func (t *throttle) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
