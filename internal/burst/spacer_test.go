package burst

import (
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
			var s Spacer
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
	var s Spacer
	t0 := time.Now()
	for i := range 100 {
		s.Next(string(rune('a'+i%26))+string(rune('a'+i/26)), t0)
	}
	if s.Len() != 100 {
		t.Fatalf("%d keys", s.Len())
	}
	s.Next("later", t0.Add(time.Minute))
	if s.Len() != 1 {
		t.Errorf("%d keys remembered a minute later, want 1", s.Len())
	}
}
