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
	s.update(func(m map[macKey]*served) { m[v.key] = v })
	return nil
}

// Delete removes the entry for mac (12 hex digits, any case), if there is one.
func (s *Store) Delete(mac string) {
	k, ok := parseMAC(mac)
	if !ok {
		return
	}
	s.update(func(m map[macKey]*served) { delete(m, k) })
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

func (s *Store) update(change func(map[macKey]*served)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.entries.Load())
	change(m)
	s.entries.Store(&m)
}
