package digest

import (
	"fmt"
	"sync"
)

// replayTable remembers, for each nonce that has authenticated a request, the
// highest nonce count seen, and refuses a count that does not increase.
//
// Memory is bounded by max entries. Entries are kept in a FIFO ring in order of
// first use; expired entries at its head are dropped as new ones arrive (an
// expired nonce is refused by its timestamp anyway). When the ring is full, the
// oldest entry is dropped even though its nonce is still valid, and the
// watermark rises to that nonce's issue time: from then on any nonce issued at
// or before the watermark that is not in the table is refused as stale, so a
// dropped nonce can never be replayed. A client hit by that simply retries with
// the fresh nonce of the stale challenge. Only successful authentications add
// entries, so an attacker without a password cannot fill the table.
type replayTable struct {
	mu        sync.Mutex
	ttl       int64 // nanoseconds
	entries   map[nonceKey]replayEntry
	ring      []nonceKey
	head, n   int
	watermark int64
}

type replayEntry struct {
	issued int64 // Unix nanoseconds
	nc     uint32
}

func newReplayTable(max int, ttlNanos int64) *replayTable {
	return &replayTable{
		ttl:       ttlNanos,
		entries:   make(map[nonceKey]replayEntry, min(max, 1024)),
		ring:      make([]nonceKey, max),
		watermark: -1 << 63,
	}
}

// use records that nonce key (issued at issued) authenticated a request with
// count nc at time now, or returns ErrReplay / ErrStale.
func (t *replayTable) use(key nonceKey, issued int64, nc uint32, now int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.entries[key]; ok {
		if nc <= e.nc {
			return fmt.Errorf("%w: nc must be above the last one used with this nonce", ErrReplay)
		}
		e.nc = nc
		t.entries[key] = e
		return nil
	}
	if issued <= t.watermark {
		return fmt.Errorf("%w: nonce was dropped from a full replay table", ErrStale)
	}
	if nc == 0 {
		return fmt.Errorf("%w: nc must start at 00000001", ErrReplay)
	}
	for t.n > 0 {
		oldest := t.ring[t.head]
		e := t.entries[oldest]
		full := t.n == len(t.ring)
		if !full && now-e.issued <= t.ttl {
			break
		}
		if now-e.issued <= t.ttl {
			t.watermark = max(t.watermark, e.issued)
		}
		delete(t.entries, oldest)
		t.head = (t.head + 1) % len(t.ring)
		t.n--
	}
	t.ring[(t.head+t.n)%len(t.ring)] = key
	t.n++
	t.entries[key] = replayEntry{issued: issued, nc: nc}
	return nil
}

// len returns the number of nonces remembered.
func (t *replayTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
