package slots

import (
	"maps"
	"testing"
	"time"
)

func at(minute int) time.Time { return time.Date(2026, 11, 1, 0, minute, 0, 0, time.UTC) }
func pin(s int) *int          { return &s }

func table(n int, holders map[int]string) []string {
	t := make([]string, n)
	for s, name := range holders {
		t[s] = name
	}
	return t
}

func TestAssign(t *testing.T) {
	tests := []struct {
		name     string
		claims   []Claim
		previous map[int]string
		n        int
		want     map[string]int
		problems map[string]Problem
		moved    map[string]Move
	}{
		{
			name: "new handsets fill slots in age order",
			claims: []Claim{
				{Name: "c", Created: at(3), IPUI: "00ABB84A08"},
				{Name: "a", Created: at(1), IPUI: "00ABC50871"},
				{Name: "b", Created: at(2)},
			},
			n:    100,
			want: map[string]int{"a": 0, "b": 1, "c": 2},
		},
		{
			name:   "equal age falls back to the name",
			claims: []Claim{{Name: "y", Created: at(1)}, {Name: "x", Created: at(1)}},
			n:      100,
			want:   map[string]int{"x": 0, "y": 1},
		},
		{
			name:     "holders keep their slots and the gap is filled first",
			claims:   []Claim{{Name: "a", Created: at(1)}, {Name: "c", Created: at(3)}, {Name: "new", Created: at(9)}},
			previous: map[int]string{0: "a", 2: "c"},
			n:        100,
			want:     map[string]int{"a": 0, "c": 2, "new": 1},
		},
		{
			name:     "a younger holder keeps its slot against an older newcomer",
			claims:   []Claim{{Name: "old", Created: at(1)}, {Name: "young", Created: at(5)}},
			previous: map[int]string{0: "young"},
			n:        100,
			want:     map[string]int{"young": 0, "old": 1},
		},
		{
			name:   "a pin takes a free slot",
			claims: []Claim{{Name: "a", Created: at(1)}, {Name: "p", Created: at(2), Pinned: pin(7)}},
			n:      100,
			want:   map[string]int{"a": 0, "p": 7},
		},
		{
			name:     "a pin never evicts a holder",
			claims:   []Claim{{Name: "holder", Created: at(5)}, {Name: "p", Created: at(1), Pinned: pin(0)}},
			previous: map[int]string{0: "holder"},
			n:        100,
			want:     map[string]int{"holder": 0},
			problems: map[string]Problem{"p": {Reason: SlotTaken, Other: "holder", Message: "slot 0 is held by Handset holder"}},
		},
		{
			name:     "two pins on one slot: the older wins",
			claims:   []Claim{{Name: "late", Created: at(2), Pinned: pin(3)}, {Name: "early", Created: at(1), Pinned: pin(3)}},
			n:        100,
			want:     map[string]int{"early": 3},
			problems: map[string]Problem{"late": {Reason: SlotTaken, Other: "early", Message: "slot 3 is held by Handset early"}},
		},
		{
			name:     "changing a pin moves that handset and frees its old slot",
			claims:   []Claim{{Name: "p", Created: at(1), Pinned: pin(5)}, {Name: "n", Created: at(2)}},
			previous: map[int]string{0: "p"},
			n:        100,
			want:     map[string]int{"p": 5, "n": 0},
		},
		{
			name:     "duplicate IPUI: the newcomer gets no slot",
			claims:   []Claim{{Name: "first", Created: at(1), IPUI: "00ABC50871"}, {Name: "second", Created: at(2), IPUI: "00ABC50871"}},
			n:        100,
			want:     map[string]int{"first": 0},
			problems: map[string]Problem{"second": {Reason: DuplicateIPUI, Other: "first", Message: "IPUI 00ABC50871 is already declared by Handset first"}},
		},
		{
			name:     "duplicate IPUI: a holder that loses keeps its slot",
			claims:   []Claim{{Name: "first", Created: at(1), IPUI: "00ABC50871"}, {Name: "second", Created: at(2), IPUI: "00ABC50871"}},
			previous: map[int]string{0: "first", 1: "second"},
			n:        100,
			want:     map[string]int{"first": 0, "second": 1},
			problems: map[string]Problem{"second": {Reason: DuplicateIPUI, Other: "first", Message: "IPUI 00ABC50871 is already declared by Handset first"}},
		},
		{
			name:     "more handsets than slots",
			claims:   []Claim{{Name: "a", Created: at(1)}, {Name: "b", Created: at(2)}, {Name: "c", Created: at(3)}},
			n:        2,
			want:     map[string]int{"a": 0, "b": 1},
			problems: map[string]Problem{"c": {Reason: NoFreeSlot, Message: "all 2 slots of the base are in use"}},
		},
		{
			name:     "a departed holder's slot is free again",
			claims:   []Claim{{Name: "b", Created: at(2)}, {Name: "n", Created: at(9)}},
			previous: map[int]string{0: "gone", 1: "b"},
			n:        100,
			want:     map[string]int{"b": 1, "n": 0},
		},
		{
			name: "a re-created base gives the handsets back the slots their status reports",
			claims: []Claim{
				{Name: "h1", Created: at(1), Reported: pin(0)}, {Name: "h2", Created: at(2), Reported: pin(3)},
				{Name: "h3", Created: at(3), Reported: pin(2)}, {Name: "h4", Created: at(4), Reported: pin(1)},
				{Name: "h5", Created: at(5), Reported: pin(4)}, {Name: "new", Created: at(6)},
			},
			n:    100,
			want: map[string]int{"h1": 0, "h2": 3, "h3": 2, "h4": 1, "h5": 4, "new": 5},
		},
		{
			name:     "the record outranks a reported slot, and the move is told",
			claims:   []Claim{{Name: "holder", Created: at(5)}, {Name: "stale", Created: at(1), Reported: pin(0)}},
			previous: map[int]string{0: "holder"},
			n:        100,
			want:     map[string]int{"holder": 0, "stale": 1},
			moved:    map[string]Move{"stale": {From: 0, Other: "holder", Message: "its status said slot 0, which Handset holder holds"}},
		},
		{
			name:     "a reported slot outranks a newer pin",
			claims:   []Claim{{Name: "back", Created: at(5), Reported: pin(7)}, {Name: "pinned", Created: at(1), Pinned: pin(7)}},
			n:        100,
			want:     map[string]int{"back": 7},
			problems: map[string]Problem{"pinned": {Reason: SlotTaken, Other: "back", Message: "slot 7 is held by Handset back"}},
		},
		{
			name:   "a handset pinned elsewhere follows its pin, not its report",
			claims: []Claim{{Name: "h", Created: at(1), Reported: pin(2), Pinned: pin(9)}, {Name: "n", Created: at(2)}},
			n:      100,
			want:   map[string]int{"h": 9, "n": 0},
		},
		{
			name:   "two handsets reporting one slot: the older gets it, the other is told",
			claims: []Claim{{Name: "young", Created: at(5), Reported: pin(4)}, {Name: "old", Created: at(1), Reported: pin(4)}},
			n:      100,
			want:   map[string]int{"old": 4, "young": 0},
			moved:  map[string]Move{"young": {From: 4, Other: "old", Message: "its status said slot 4, which Handset old holds"}},
		},
		{
			name:     "a pin outside the table",
			claims:   []Claim{{Name: "p", Created: at(1), Pinned: pin(5)}},
			n:        2,
			want:     map[string]int{},
			problems: map[string]Problem{"p": {Reason: SlotTaken, Message: "slot 5 does not exist: the device has slots 0 to 1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assign(tt.claims, table(tt.n, tt.previous), tt.n)
			if !maps.Equal(got.Slot, tt.want) {
				t.Errorf("slots = %v, want %v", got.Slot, tt.want)
			}
			want := tt.problems
			if want == nil {
				want = map[string]Problem{}
			}
			if !maps.Equal(got.Problems, want) {
				t.Errorf("problems = %v, want %v", got.Problems, want)
			}
			moved := tt.moved
			if moved == nil {
				moved = map[string]Move{}
			}
			if !maps.Equal(got.Moved, moved) {
				t.Errorf("moved = %v, want %v", got.Moved, moved)
			}
		})
	}
}

// TestAssignIsStable runs the assignment again on its own output, as every reconcile does:
// nothing may move.
func TestAssignIsStable(t *testing.T) {
	var claims []Claim
	for i := range 150 {
		c := Claim{Name: string(rune('A'+i%26)) + string(rune('a'+i/26)), Created: at(i % 7)}
		if i%11 == 0 {
			c.Pinned = pin((i * 37) % 100)
		}
		claims = append(claims, c)
	}
	first := Assign(claims, make([]string, 100), 100)
	second := Assign(claims, owners(first, 100), 100)
	if !maps.Equal(first.Slot, second.Slot) {
		t.Fatalf("a second assignment moved handsets:\nfirst  %v\nsecond %v", first.Slot, second.Slot)
	}
	if len(first.Slot) != 100 {
		t.Fatalf("assigned %d handsets, want all 100 slots used", len(first.Slot))
	}
	seen := map[int]string{}
	for name, s := range first.Slot {
		if other, dup := seen[s]; dup {
			t.Fatalf("slot %d given to both %s and %s", s, other, name)
		}
		seen[s] = name
	}
}

// owners is the slot table of a result, as the stored document would give it back:
// the handset name per slot, "" when free.
func owners(r Result, n int) []string {
	table := make([]string, n)
	for name, slot := range r.Slot {
		table[slot] = name
	}
	return table
}
