// Package burst spaces out the work that a burst of events asks for, per key.
//
// A GitOps tool applying a large site creates a base's handsets one after the other,
// each a second or so apart: reconciled at every one, a base would render and store its
// whole file (a ConfigMap of up to 116 KB, its Secret and its status) a hundred times,
// and those writes would slow the API server that is still taking the site's objects.
// A Spacer lets the first event of a quiet key through at once, so that a single change
// reaches its device without delay, and gathers the events of a busy key into runs
// spaced further and further apart.
package burst

import (
	"sync"
	"time"
)

// Spacer decides when the work for a key runs, by these rules:
//
//  1. The first event of a key that had none for Quiet runs at once, and the key's gap
//     is set to Min.
//  2. An event while a run of the key is scheduled later joins that run.
//  3. Any other event runs gap after the key's last run (or at once if that is past),
//     and the gap doubles, up to Max.
//
// So during a burst the key runs at once, then after 1, 2, 4, ... Max seconds (with Min
// one second), and no later than Max after the burst's last event. The zero Spacer
// uses the defaults below. It is safe for concurrent use.
type Spacer struct {
	Min, Max, Quiet time.Duration

	mu    sync.Mutex
	keys  map[string]*key
	swept time.Time
}

// Defaults: a gap that starts at one second and doubles up to eight, and a key quiet
// after two seconds without an event (handsets applied in bulk arrive faster).
const (
	DefaultMin   = time.Second
	DefaultMax   = 8 * time.Second
	DefaultQuiet = 2 * time.Second
)

type key struct {
	lastEvent, lastRun time.Time
	gap                time.Duration
}

// Next records an event of k at now and returns when k's work should run: now, or
// later.
func (s *Spacer) Next(k string, now time.Time) time.Time {
	minGap, maxGap, quiet := or(s.Min, DefaultMin), or(s.Max, DefaultMax), or(s.Quiet, DefaultQuiet)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]*key{}
	}
	s.sweep(now, maxGap+quiet)
	st := s.keys[k]
	switch {
	case st == nil || now.Sub(st.lastEvent) >= quiet: // rule 1
		st = &key{lastRun: now, gap: minGap}
		s.keys[k] = st
	case st.lastRun.After(now): // rule 2
	default: // rule 3
		st.lastRun = st.lastRun.Add(st.gap)
		if st.lastRun.Before(now) {
			st.lastRun = now
		}
		st.gap = min(2*st.gap, maxGap)
	}
	st.lastEvent = now
	return st.lastRun
}

// sweep forgets, at most once per age, the keys quiet for longer than age: a deleted
// base leaves nothing behind.
func (s *Spacer) sweep(now time.Time, age time.Duration) {
	if now.Sub(s.swept) < age {
		return
	}
	s.swept = now
	for k, st := range s.keys {
		if now.Sub(st.lastEvent) > age && !st.lastRun.After(now) {
			delete(s.keys, k)
		}
	}
}

// Len is how many keys the Spacer remembers.
func (s *Spacer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
