package testenv

import (
	"fmt"
	"net"
	"testing"
)

// The ports come from below the kernel's ephemeral range, where no outgoing connection
// takes them, are never handed out twice, and can be bound.
func TestFreePorts(t *testing.T) {
	low, high := portRange()
	seen := map[int]bool{}
	for range 4 {
		ports, err := FreePorts(25)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ports {
			if p < low || p > high {
				t.Errorf("port %d outside %d-%d", p, low, high)
			}
			if seen[p] {
				t.Errorf("port %d handed out twice", p)
			}
			seen[p] = true
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				t.Errorf("port %d: %v", p, err)
				continue
			}
			_ = l.Close()
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d ports, want 100", len(seen))
	}
}
