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
	EventuallyEvery(t, what, timeout, 50*time.Millisecond, check)
}

// EventuallyEvery is Eventually with interval between two checks, for checks that cost
// more than a cache read (a kubectl call, a fetch through a real cluster's Service).
func EventuallyEvery(t testing.TB, what string, timeout, interval time.Duration, check func() error) {
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
		time.Sleep(interval)
	}
}
