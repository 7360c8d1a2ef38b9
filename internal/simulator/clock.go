package simulator

import "time"

// Clock is the device's sense of time. Registration windows and deregistration delays
// follow it, so tests and demos can move time forward without sleeping
// (internal/fakeclock).
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current time.
func (RealClock) Now() time.Time { return time.Now() }
