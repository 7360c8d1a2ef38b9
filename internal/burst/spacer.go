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
//  1. The first event of a key in a burst runs at once, and the key's gap is set to
//     Min. A burst lasts until no event of any key arrived for Quiet: a tool applying
//     a whole repository interleaves many bases, so that one base's events may come
//     far apart while they still belong to the same apply.
//  2. An event while a run of the key is scheduled later joins that run.
//  3. Any other event runs gap after the key's last run (or at once if that is past),
//     and the gap doubles, up to Max.
//  4. Once the burst is over, the runs scheduled later are due at once (Flush): waiting
//     gains nothing more.
//  5. A key's creation (Created: a new base) outside a burst runs at once and starts
//     the key's burst as rule 1 would. During a burst it is spaced as if the key had
//     just run: the run is Min later, its next events join it (rule 2), and the flush
//     at the burst's end brings it forward (rule 4). What is applied in bulk arrives
//     with its parts: the handsets of a base created in a burst follow it, and a run at
//     its creation would store a file that the next run replaces.
//
// So during a burst a key runs at once, then Min later, then after gaps doubling up to
// Max (with the defaults: at once, after 30 s, 1, 2 and 4 min, then every 5 min), and,
// once the burst ends, Quiet after the last event of any key. The zero Spacer uses the
// defaults below. It is safe for concurrent use.
type Spacer[K comparable] struct {
	Min, Max, Quiet time.Duration

	mu        sync.Mutex
	keys      map[K]*key
	lastEvent time.Time
	swept     time.Time
}

// Defaults: a gap that starts at half a minute and grows to five, and a burst over
// after half a second without an event. Objects applied in bulk arrive far faster: in
// two applies of 10,000 handsets (hack/scale: 16 clients, the API server busy on both
// cores) the manager saw 10,114 events each, never more than 55 ms apart; one client
// creating one object after the other sends about 200 a second (hack/scale -workers 1).
// Every bulk apply ends with this wait before its bases are rendered: at 10,000
// handsets the tail after the apply took 4.3 to 4.5 s with half a second, 5.2 to 5.6 s
// with a second (three runs each, alternating), about 6 s with two. A tool that pauses
// longer mid-apply (between sync waves, say) costs each base it touches a run or two
// more, and serves what the first wave declared meanwhile. Each run of a busy base
// stores its whole file again (a 116 KB ConfigMap, its Secret and a status with the
// slot table), and those writes are what the API server, still taking the apply's
// objects, spends its CPU on (hack/scale, 10,000 handsets: with a first gap of 4 s each
// file was stored about 7 times during the apply, and the apply itself took 1.6 times
// as long as with no operator running). A gap that stopped growing would make the runs
// of a long apply grow with its length times its bases: at 50,000 handsets an apply of
// 9 minutes stored each file about 13 times (docs/scale.md). Only a long apply sees the
// runs between the first and the flush: they show its progress on the devices.
const (
	DefaultMin   = 30 * time.Second
	DefaultMax   = 5 * time.Minute
	DefaultQuiet = 500 * time.Millisecond
)

type key struct {
	lastEvent, lastRun time.Time
	gap                time.Duration
}

// Next records an event of k at now and returns when k's work should run: now, or
// later.
func (s *Spacer[K]) Next(k K, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, first := s.event(k, now)
	switch {
	case first: // rule 1
		st.lastRun = now
	case st.lastRun.After(now): // rule 2
	default: // rule 3
		st.lastRun = st.lastRun.Add(st.gap)
		if st.lastRun.Before(now) {
			st.lastRun = now
		}
		st.gap = min(2*st.gap, or(s.Max, DefaultMax))
	}
	return st.lastRun
}

// Created records the creation of k at now (rule 5) and returns when k's work should
// run: now, or later.
func (s *Spacer[K]) Created(k K, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	inBurst := now.Sub(s.lastEvent) < or(s.Quiet, DefaultQuiet)
	st, _ := s.event(k, now)
	switch {
	case st.lastRun.After(now): // its events came first: a run is scheduled (rule 2)
	case inBurst:
		st.lastRun = now.Add(st.gap)
		st.gap = min(2*st.gap, or(s.Max, DefaultMax))
	default:
		st.lastRun = now
	}
	return st.lastRun
}

// event records an event of k at now and returns k's state, new (rule 1: first is set)
// when k has none or the burst was over. s.mu is held.
func (s *Spacer[K]) event(k K, now time.Time) (st *key, first bool) {
	quiet := or(s.Quiet, DefaultQuiet)
	if s.keys == nil {
		s.keys = map[K]*key{}
	}
	s.sweep(now, or(s.Max, DefaultMax)+quiet)
	burstOver := now.Sub(s.lastEvent) >= quiet
	s.lastEvent = now
	st = s.keys[k]
	if st == nil || burstOver {
		st = &key{gap: or(s.Min, DefaultMin)}
		s.keys[k] = st
		first = true
	}
	st.lastEvent = now
	return st, first
}

// QuietAfter is how long after the last event of any key Flush has work to do: the
// caller waits that long (and again, if events came meanwhile) before it calls Flush.
func (s *Spacer[K]) QuietAfter(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastEvent.Add(or(s.Quiet, DefaultQuiet)).Sub(now)
}

// Flush returns, once the burst is over (no event of any key arrived for Quiet), the
// keys whose runs are scheduled later than now, and true; they are due now (rule 4).
// Before that, it returns false.
func (s *Spacer[K]) Flush(now time.Time) ([]K, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastEvent) < or(s.Quiet, DefaultQuiet) {
		return nil, false
	}
	var due []K
	for k, st := range s.keys {
		if st.lastRun.After(now) {
			st.lastRun = now
			due = append(due, k)
		}
	}
	return due, true
}

// sweep forgets, at most once per age, the keys quiet for longer than age: a deleted
// base leaves nothing behind.
func (s *Spacer[K]) sweep(now time.Time, age time.Duration) {
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
func (s *Spacer[K]) Len() int {
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
