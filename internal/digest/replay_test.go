package digest

import (
	"errors"
	"testing"
	"time"
)

func key(i int) nonceKey {
	var k nonceKey
	k[0], k[1], k[2] = byte(i), byte(i>>8), byte(i>>16)
	return k
}

func TestReplayTableBounded(t *testing.T) {
	const max = 8
	ttl := int64(time.Minute)
	tab := newReplayTable(max, ttl)
	now := int64(1000)
	for i := range 3 * max {
		if err := tab.use(key(i), now+int64(i), 1, now+int64(i)); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
		if n := tab.len(); n > max {
			t.Fatalf("after %d nonces the table holds %d, want at most %d", i+1, n, max)
		}
	}
	// The newest are remembered: a replay is refused.
	last := 3*max - 1
	if err := tab.use(key(last), now+int64(last), 1, now+int64(last)); !errors.Is(err, ErrReplay) {
		t.Errorf("replay of a remembered nonce: %v, want ErrReplay", err)
	}
	// A dropped nonce, still within its TTL, cannot be replayed: it is stale.
	if err := tab.use(key(0), now, 2, now+int64(last)); !errors.Is(err, ErrStale) {
		t.Errorf("replay of a dropped nonce: %v, want ErrStale", err)
	}
	// A nonce issued after the watermark is still accepted.
	if err := tab.use(key(1000), now+int64(last)+1, 1, now+int64(last)+1); err != nil {
		t.Errorf("new nonce after eviction: %v", err)
	}
}

func TestReplayTableDropsExpiredWithoutWatermark(t *testing.T) {
	ttl := int64(time.Minute)
	tab := newReplayTable(4, ttl)
	for i := range 3 {
		if err := tab.use(key(i), int64(i), 1, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	later := 3 + ttl + 1
	if err := tab.use(key(10), later, 1, later); err != nil {
		t.Fatal(err)
	}
	if n := tab.len(); n != 1 {
		t.Errorf("table holds %d entries after the others expired, want 1", n)
	}
	// Expiry is not eviction: the watermark did not move, so a nonce issued
	// just after the expired ones is still new to the table.
	if err := tab.use(key(11), 5, 1, later); err != nil {
		t.Errorf("nonce issued after expired ones: %v, want accepted", err)
	}
}
