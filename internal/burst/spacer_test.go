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
		key     string
		at      float64 // seconds after t0
		wantAt  float64 // when its work runs
		created bool    // the key's creation (Created), not an event of it (Next)
	}
	for _, tc := range []struct {
		name   string
		events []event
	}{
		{"a lone event runs at once (rule 1)", []event{{"a", 0, 0, false}}},
		{"events further apart than Quiet each run at once (rule 1)", []event{
			{"a", 0, 0, false}, {"a", 2, 2, false}, {"a", 5.5, 5.5, false},
		}},
		{"a burst: at once, then 1, 2, 4, 8, 8 s apart (rules 2 and 3)", []event{
			{"a", 0, 0, false},
			{"a", 0.5, 1, false},   // rule 3: gap 1 after the run at 0
			{"a", 0.9, 1, false},   // rule 2: joins the run at 1
			{"a", 1.2, 3, false},   // rule 3: gap 2
			{"a", 2.9, 3, false},   // rule 2
			{"a", 3.5, 7, false},   // gap 4
			{"a", 5, 7, false},     //
			{"a", 6.9, 7, false},   //
			{"a", 7.5, 15, false},  // gap 8
			{"a", 9, 15, false},    //
			{"a", 10.5, 15, false}, //
			{"a", 12, 15, false},   //
			{"a", 13.9, 15, false}, //
			{"a", 15.5, 23, false}, // gap 8: the most
			{"a", 16, 23, false},
		}},
		{"a late event after a gap runs at once, the gap still grows (rule 3)", []event{
			{"a", 0, 0, false}, {"a", 1.5, 1.5, false}, {"a", 3, 3.5, false},
		}},
		{"after a quiet spell a key starts over (rule 1)", []event{
			{"a", 0, 0, false}, {"a", 0.5, 1, false}, {"a", 1.5, 3, false}, {"a", 5.1, 5.1, false}, {"a", 5.2, 6.1, false},
		}},
		{"in a burst of other keys' events, a key's events far apart are still spaced (rule 1)", []event{
			{"a", 0, 0, false},
			{"b", 1.5, 1.5, false},
			{"a", 2.2, 2.2, false}, // rule 3: the gap of 1 s is past; gap 2
			{"b", 3, 3, false},
			{"a", 4.3, 4.3, false}, // gap 4
			{"b", 5, 5, false},
			{"a", 6.4, 8.3, false}, // 2.1 s after a's last event, but b's kept the burst going
		}},
		{"a creation outside a burst runs at once and starts the key's burst (rule 5)", []event{
			{"a", 0, 0, true}, {"a", 0.3, 1, false}, {"a", 0.6, 1, false}, {"a", 1.2, 3, false},
		}},
		{"a creation in a burst runs as if the key had just run (rule 5)", []event{
			{"b", 0, 0, false},
			{"a", 0.5, 1.5, true},  // Min later; gap 2
			{"a", 0.8, 1.5, false}, // rule 2
			{"a", 1.7, 3.5, false}, // rule 3
		}},
		{"a creation after its key's events joins their run (rule 5)", []event{
			{"a", 0, 0, false}, {"a", 0.5, 1, false}, {"a", 0.7, 1, true}, {"a", 0.8, 1, false},
		}},
		{"a creation after a quiet spell runs at once (rule 5)", []event{
			{"a", 0, 0, false}, {"a", 0.5, 1, false}, {"a", 3.5, 3.5, true}, {"a", 3.6, 4.5, false},
		}},
		{"keys are apart", []event{
			{"a", 0, 0, false}, {"a", 0.5, 1, false}, {"b", 0.6, 0.6, false}, {"b", 0.7, 1.6, false}, {"a", 0.8, 1, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Spacer[string]{Min: time.Second, Max: 8 * time.Second, Quiet: 2 * time.Second}
			for i, e := range tc.events {
				next := s.Next
				if e.created {
					next = s.Created
				}
				if got := next(e.key, at(e.at)); !got.Equal(at(e.wantAt)) {
					t.Errorf("event %d (%s at %.1fs): runs at %.2fs, want %.2fs", i, e.key, e.at, got.Sub(t0).Seconds(), e.wantAt)
				}
			}
		})
	}
}

// A tool applying a whole repository interleaves the bases: at 50,000 handsets, 500
// bases of 100 each, one base's events came 5.6 s apart for 9 minutes. Each base runs
// a handful of times, not once per handset (rule 1) nor once a minute (rule 3).
func TestSpacerInterleavedApply(t *testing.T) {
	const bases, perBase, every = 500, 100, 5600 * time.Millisecond
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var s Spacer[int]
	runs := make([]map[time.Time]bool, bases)
	for i := range runs {
		runs[i] = map[time.Time]bool{}
	}
	var now time.Time
	for j := range perBase {
		for i := range bases {
			now = t0.Add(time.Duration(j)*every + time.Duration(i)*every/bases)
			runs[i][s.Next(i, now)] = true
		}
	}
	end := now.Add(DefaultQuiet)
	due, ok := s.Flush(end)
	if !ok {
		t.Fatal("no flush once the apply is over")
	}
	for _, i := range due {
		runs[i][end] = true
	}
	most := 0
	for i := range runs {
		n := 0
		for at := range runs[i] {
			if !at.After(end) { // a run scheduled later was brought forward by the flush
				n++
			}
		}
		most = max(most, n)
	}
	// At once, then after 30 s, 1.5, 3.5 and 7.5 min, and the flush at 9 min 22 s.
	if most != 6 {
		t.Errorf("a base ran up to %d times in an apply of %v, want 6", most, end.Sub(t0).Round(time.Second))
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
	s.Next("later", t0.Add(6*time.Minute))
	if s.Len() != 1 {
		t.Errorf("%d keys remembered six minutes later, want 1", s.Len())
	}
}

// Rule 5: a creation is an event of the burst, which goes on as long, and a creation
// in a burst is flushed with it.
func TestSpacerCreatedKeepsTheBurstGoing(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	s := Spacer[string]{Min: 10 * time.Second, Quiet: 2 * time.Second}
	s.Next("b", at(0))
	s.Next("b", at(0.5)) // b's next run at 10 s
	s.Created("a", at(1.5))
	if due, ok := s.Flush(at(3)); ok {
		t.Errorf("flushed %v 1.5 s after a was created, want the burst going on", due)
	}
	due, ok := s.Flush(at(3.6))
	slices.Sort(due)
	if !ok || !slices.Equal(due, []string{"a", "b"}) {
		t.Errorf("flushed %v (%v) 2.1 s after a was created, want a and b", due, ok)
	}
}

// A site applied in bulk, as hack/scale declares it: every base, then their handsets
// interleaved. Only the first base runs at its creation; each base then runs once
// more, when the apply is over, with all its handsets (rule 5).
func TestSpacerBulkApplyOfNewBases(t *testing.T) {
	const bases, perBase = 100, 100
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var s Spacer[int]
	runs := make([]int, bases)
	now := t0
	count := func(i int, at time.Time) {
		if !at.After(now) {
			runs[i]++
		}
	}
	for i := range bases {
		now = now.Add(10 * time.Millisecond)
		count(i, s.Created(i, now))
	}
	for range perBase {
		for i := range bases {
			now = now.Add(2500 * time.Microsecond)
			count(i, s.Next(i, now))
		}
	}
	due, ok := s.Flush(now.Add(DefaultQuiet))
	if !ok || len(due) != bases {
		t.Fatalf("flushed %d bases (%v) once the apply was over, want %d", len(due), ok, bases)
	}
	for _, i := range due {
		runs[i]++
	}
	for i, n := range runs {
		want := 1
		if i == 0 { // its creation came before the burst, and it ran at once
			want = 2
		}
		if n != want {
			t.Errorf("base %d ran %d times, want %d", i, n, want)
		}
	}
}

// Rule 4: once no key had an event for Quiet, the runs scheduled later are due.
func TestSpacerFlushesWhenEveryKeyIsQuiet(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	s := Spacer[string]{Min: time.Second, Quiet: 2 * time.Second}
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
