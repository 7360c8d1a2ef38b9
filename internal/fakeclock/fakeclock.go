// Package fakeclock is the one clock that tests, the demo and the simulated device move
// by hand, so that hours of registration windows pass in milliseconds.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a clock that tests move. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	at      time.Time     // a still clock's time
	offset  time.Duration // a flowing clock's lead over the wall clock
	flowing bool
}

// New returns a clock that stands still at t until it is moved.
func New(t time.Time) *Clock { return &Clock{at: t} }

// Flowing returns a clock that follows the wall clock plus whatever Advance added: for a
// system under test that also waits on real timers (a reconciler's requeue) while the
// test skips hours ahead.
func Flowing() *Clock { return &Clock{flowing: true} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flowing {
		return time.Now().Add(c.offset)
	}
	return c.at
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
	c.offset += d
}

// Set moves the clock to t, forward or backward.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = t
	c.offset = time.Until(t)
}
