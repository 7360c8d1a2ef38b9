package provserver

import (
	"net/netip"
	"sync"
	"time"
)

// guard counts failed authentications per MAC and locks out guessing, from
// any number of source addresses, without letting anyone lock the device out
// of the address it last authenticated from. See the package documentation
// for the policy and its numbers.
//
// Each MAC has two lanes: the known lane, for requests from the last two
// distinct addresses that authenticated for that MAC (exact addresses: an IPv6
// neighbour in the same /64 is not known), and the other lane, for every other
// address, including an unreadable one. The limit-th failure in a row locks a
// lane for first; each further failure locks it for twice as long as the
// previous one, up to max. While a
// lane is locked its requests get 429 before any credential is checked, so a
// locked lane answers no guess. A success resets the lane it came through (a
// success from another address makes that address known and resets the known
// lane only: an attacker's streak in the other lane survives the device's
// fetches). A lane without a failure for forget is forgotten. When the base's
// credentials change (Auth), both lanes start afresh.
//
// Memory: one small record per MAC that has an entry in the store and has seen
// an authentication attempt. Records of MACs removed from the store are
// pruned when the table reaches twice the store's size (plus a margin), so an
// attacker cannot grow it (only configured MACs reach authentication) nor
// evict a record to reset a lockout.
type guard struct {
	limit              int
	first, max, forget time.Duration
	store              *Store

	mu   sync.Mutex
	macs map[macKey]*macGuard
}

const (
	laneKnown = iota
	laneOther
)

type macGuard struct {
	auth  Auth          // the credentials the lanes counted against
	known [2]netip.Addr // most recent first; zero when unused
	lanes [2]lane
}

type lane struct {
	streak int       // failures since the last success or reset
	last   time.Time // of the last failure
	until  time.Time // locked until
}

func newGuard(limit int, first, max, forget time.Duration, store *Store) *guard {
	return &guard{limit: limit, first: first, max: max, forget: forget, store: store,
		macs: make(map[macKey]*macGuard)}
}

// laneOf returns the lane of requests from a, forgetting it when it has been
// quiet for g.forget.
func (g *guard) laneOf(m *macGuard, a netip.Addr, now time.Time) *lane {
	l := &m.lanes[laneOther]
	if a.IsValid() && (a == m.known[0] || a == m.known[1]) {
		l = &m.lanes[laneKnown]
	}
	if l.streak > 0 && now.Sub(l.last) >= g.forget {
		*l = lane{}
	}
	return l
}

// state returns e's record, creating it when create is set; nil otherwise.
func (g *guard) state(e *served, create bool) *macGuard {
	m := g.macs[e.key]
	if m == nil {
		if !create {
			return nil
		}
		if len(g.macs) >= 2*g.store.Len()+64 {
			for k := range g.macs {
				if g.store.get(k) == nil {
					delete(g.macs, k)
				}
			}
		}
		m = &macGuard{auth: e.Auth}
		g.macs[e.key] = m
	}
	if m.auth != e.Auth {
		m.auth, m.lanes = e.Auth, [2]lane{}
	}
	return m
}

// blocked reports whether requests for e from a are locked out, and for how
// much longer.
func (g *guard) blocked(e *served, a netip.Addr, now time.Time) (time.Duration, bool) {
	if g == nil {
		return 0, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.state(e, false)
	if m == nil {
		return 0, false
	}
	if wait := g.laneOf(m, a, now).until.Sub(now); wait > 0 {
		return wait, true
	}
	return 0, false
}

// fail records a failed authentication for e from a and reports whether it
// locked the lane.
func (g *guard) fail(e *served, a netip.Addr, now time.Time) bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.laneOf(g.state(e, true), a, now)
	l.streak++
	l.last = now
	if l.streak < g.limit {
		return false
	}
	d := g.max
	if shift := l.streak - g.limit; shift < 30 && g.first<<shift < g.max {
		d = g.first << shift
	}
	l.until = now.Add(d)
	return true
}

// succeed records a successful authentication for e from a.
func (g *guard) succeed(e *served, a netip.Addr) {
	if g == nil || !a.IsValid() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.state(e, true)
	if a != m.known[0] {
		m.known[0], m.known[1] = a, m.known[0]
	}
	m.lanes[laneKnown] = lane{}
}

// len returns the number of MACs tracked.
func (g *guard) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.macs)
}
