package provserver

import (
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Store is the server's view of all entries. Kubernetes code keeps it up to
// date from informers.
//
// Readers never lock: the entries live in an immutable map that writers copy,
// change and swap atomically, so a request sees either the old or the new state
// of every entry, never a mix. Writes cost a copy of the map, which is cheap
// for the thousands of bases a cluster may hold.
type Store struct {
	mu      sync.Mutex // serialises writers
	entries atomic.Pointer[map[macKey]*served]
	onGone  []func(namespace, base string)
}

// OnGone registers f, called whenever the Store stops holding any entry of a base
// (deleted, or its MAC given to another base), so that what is kept per base (metric
// series) goes with it rather than growing with every base the server ever served.
// f runs with the Store's writers held off: it must not write to the Store.
func (s *Store) OnGone(f func(namespace, base string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onGone = append(s.onGone, f)
}

// NewStore returns an empty Store.
func NewStore() *Store {
	s := &Store{}
	m := map[macKey]*served{}
	s.entries.Store(&m)
	return s
}

// Set adds or replaces the entry for e.MAC. It copies e (Body included), fills
// in Hash when empty, and refuses an entry whose MAC is not 12 hex digits,
// whose Hash does not match its Body, whose Auth has a user without password
// (or the reverse), or whose AllowedSources has an invalid prefix; the Store is
// then unchanged.
func (s *Store) Set(e Entry) error {
	v, err := newServed(e)
	if err != nil {
		return err
	}
	s.update(func(m map[macKey]*served) *served {
		old := m[v.key]
		m[v.key] = v
		if old != nil && (old.Namespace != v.Namespace || old.Base != v.Base) {
			return old
		}
		return nil
	})
	return nil
}

// Delete removes the entry for mac (12 hex digits, any case), if there is one.
func (s *Store) Delete(mac string) {
	k, ok := parseMAC(mac)
	if !ok {
		return
	}
	s.update(func(m map[macKey]*served) *served {
		old := m[k]
		delete(m, k)
		return old
	})
}

// Lookup returns the entry for mac (12 hex digits, any case). The returned
// Body is shared with the Store and must not be modified.
func (s *Store) Lookup(mac string) (Entry, bool) {
	k, ok := parseMAC(mac)
	if !ok {
		return Entry{}, false
	}
	v := s.get(k)
	if v == nil {
		return Entry{}, false
	}
	e := v.Entry
	e.AllowedSources = append([]netip.Prefix(nil), e.AllowedSources...)
	return e, true
}

// Len returns the number of entries.
func (s *Store) Len() int { return len(*s.entries.Load()) }

func (s *Store) get(k macKey) *served { return (*s.entries.Load())[k] }

// update applies change to a copy of the entries and swaps it in. change returns the
// entry it removed or gave to another base, if any; when that was its base's last
// entry, the OnGone functions hear of it.
func (s *Store) update(change func(map[macKey]*served) (removed *served)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.entries.Load())
	removed := change(m)
	s.entries.Store(&m)
	if removed == nil || len(s.onGone) == 0 {
		return
	}
	for _, v := range m {
		if v.Namespace == removed.Namespace && v.Base == removed.Base {
			return // the base moved to another MAC: still served
		}
	}
	for _, f := range s.onGone {
		f(removed.Namespace, removed.Base)
	}
}
