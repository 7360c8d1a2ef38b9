package burst

import (
	"slices"
	"testing"
	"time"
)

func TestSpacer(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	type event struct {
		key    string
		at     float64 // seconds after t0
		wantAt float64 // when its work runs
	}
	for _, tc := range []struct {
		name   string
		events []event
	}{
		{"a lone event runs at once (rule 1)", []event{{"a", 0, 0}}},
		{"events further apart than Quiet each run at once (rule 1)", []event{
			{"a", 0, 0}, {"a", 2, 2}, {"a", 5.5, 5.5},
		}},
		{"a burst: at once, then 1, 2, 4, 8, 8 s apart (rules 2 and 3)", []event{
			{"a", 0, 0},
			{"a", 0.5, 1},   // rule 3: gap 1 after the run at 0
			{"a", 0.9, 1},   // rule 2: joins the run at 1
			{"a", 1.2, 3},   // rule 3: gap 2
			{"a", 2.9, 3},   // rule 2
			{"a", 3.5, 7},   // gap 4
			{"a", 5, 7},     //
			{"a", 6.9, 7},   //
			{"a", 7.5, 15},  // gap 8
			{"a", 9, 15},    //
			{"a", 10.5, 15}, //
			{"a", 12, 15},   //
			{"a", 13.9, 15}, //
			{"a", 15.5, 23}, // gap 8: the most
			{"a", 16, 23},
		}},
		{"a late event after a gap runs at once, the gap still grows (rule 3)", []event{
			{"a", 0, 0}, {"a", 1.5, 1.5}, {"a", 3, 3.5},
		}},
		{"after a quiet spell a key starts over (rule 1)", []event{
			{"a", 0, 0}, {"a", 0.5, 1}, {"a", 1.5, 3}, {"a", 5.1, 5.1}, {"a", 5.2, 6.1},
		}},
		{"keys are apart", []event{
			{"a", 0, 0}, {"a", 0.5, 1}, {"b", 0.6, 0.6}, {"b", 0.7, 1.6}, {"a", 0.8, 1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Spacer[string]{Min: time.Second, Max: 8 * time.Second}
			for i, e := range tc.events {
				if got := s.Next(e.key, at(e.at)); !got.Equal(at(e.wantAt)) {
					t.Errorf("event %d (%s at %.1fs): runs at %.2fs, want %.2fs", i, e.key, e.at, got.Sub(t0).Seconds(), e.wantAt)
				}
			}
		})
	}
}

// A deleted key is forgotten once it has been quiet for a while.
func TestSpacerForgetsQuietKeys(t *testing.T) {
	var s Spacer[string]
	t0 := time.Now()
	for i := range 100 {
		s.Next(string(rune('a'+i%26))+string(rune('a'+i/26)), t0)
	}
	if s.Len() != 100 {
		t.Fatalf("%d keys", s.Len())
	}
	s.Next("later", t0.Add(2*time.Minute))
	if s.Len() != 1 {
		t.Errorf("%d keys remembered two minutes later, want 1", s.Len())
	}
}

// Rule 4: once no key had an event for Quiet, the runs scheduled later are due.
func TestSpacerFlushesWhenEveryKeyIsQuiet(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	s := Spacer[string]{Min: time.Second}
	for i := range 40 { // a, b and c busy for 20 s: their next runs are at 31 s
		sec := float64(i) / 2
		for _, k := range []string{"a", "b", "c"} {
			s.Next(k, at(sec))
		}
	}
	if next := s.Next("a", at(19.6)); !next.Equal(at(31)) {
		t.Fatalf("a's next run at %vs, want 31s", next.Sub(t0).Seconds())
	}
	s.Next("d", at(20.4)) // quiet so far: runs at once
	if due, ok := s.Flush(at(21.5)); ok || len(due) != 0 {
		t.Errorf("flushed %v (%v) while d's event is 1.1 s old, want nothing", due, ok)
	}
	if wait := s.QuietAfter(at(21.5)); wait != 900*time.Millisecond {
		t.Errorf("quiet after %v, want 0.9s", wait)
	}
	due, ok := s.Flush(at(22.5))
	slices.Sort(due)
	if !ok {
		t.Error("not quiet 2.1 s after the last event")
	}
	if !slices.Equal(due, []string{"a", "b", "c"}) {
		t.Errorf("flushed %v, want a, b and c (d ran at once)", due)
	}
	if again, _ := s.Flush(at(23)); len(again) != 0 {
		t.Errorf("flushed %v twice", again)
	}
}
