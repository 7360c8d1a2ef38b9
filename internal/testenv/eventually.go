package testenv

import (
	"testing"
	"time"
)

// Eventually calls check until it returns nil, and fails t with what and check's last
// error once timeout has passed. Tests poll with it instead of sleeping: how long
// something took is a benchmark's business, never a test's verdict.
func Eventually(t testing.TB, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not the case after %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
