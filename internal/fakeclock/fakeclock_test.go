package fakeclock

import (
	"testing"
	"time"
)

func TestStillClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	c.Advance(90 * time.Minute)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Errorf("after Advance: %v, want %v", got, want)
	}
	c.Set(start)
	if got := c.Now(); !got.Equal(start) {
		t.Errorf("after Set: %v, want %v", got, start)
	}
}

func TestFlowingClockFollowsTheWallClockWithALead(t *testing.T) {
	c := Flowing()
	c.Advance(2 * time.Hour)
	lead := c.Now().Sub(time.Now())
	if lead < 2*time.Hour-time.Minute || lead > 2*time.Hour+time.Minute {
		t.Errorf("lead over the wall clock %v, want about 2h", lead)
	}
	target := time.Now().Add(-time.Hour)
	c.Set(target)
	if d := c.Now().Sub(target); d < 0 || d > time.Minute {
		t.Errorf("after Set to an hour ago: %v past the target", d)
	}
}
