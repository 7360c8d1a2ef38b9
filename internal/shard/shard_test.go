package shard

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

const key = "provisioning.dect-operator.dev/shard"

func mustPolicy(t *testing.T, selector string) Policy {
	t.Helper()
	sel, err := ParseSelector(selector)
	if err != nil {
		t.Fatal(err)
	}
	return Policy{Selector: sel, HandoverDelay: 10 * time.Second}
}

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		in      string
		matches []labels.Set
		refuses []labels.Set
		err     string
	}{
		{in: "", matches: []labels.Set{nil, {key: "a"}}},
		{in: "  ", matches: []labels.Set{nil, {key: "b"}}},
		{in: "\f", err: "is not a label selector"},
		{in: key + "=a", matches: []labels.Set{{key: "a"}, {key: "a", "x": "y"}}, refuses: []labels.Set{nil, {key: "b"}, {"shard": "a"}}},
		{in: key + " in (a,b)", matches: []labels.Set{{key: "a"}, {key: "b"}}, refuses: []labels.Set{{key: "c"}, nil}},
		{in: "!" + key, matches: []labels.Set{nil, {"x": "a"}}, refuses: []labels.Set{{key: "a"}}},
		{in: key + "!=a", matches: []labels.Set{nil, {key: "b"}}, refuses: []labels.Set{{key: "a"}}},
		{in: "=a", err: "--shard-selector"},
		{in: key + "==", matches: []labels.Set{{key: ""}}, refuses: []labels.Set{{key: "a"}}},
		{in: "shard=a,", err: "is not a label selector"},
		{in: "a b", err: "is not a label selector"},
		{in: "shard=a b", err: "is not a label selector"},
		{in: "in (a)", err: "is not a label selector"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := ParseSelector(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseSelector(%q) = %v, %v; want an error with %q", tc.in, sel, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := Policy{Selector: sel}
			for _, s := range tc.matches {
				if !p.Selects(s) {
					t.Errorf("%q does not select %v", tc.in, s)
				}
			}
			for _, s := range tc.refuses {
				if p.Selects(s) {
					t.Errorf("%q selects %v", tc.in, s)
				}
			}
		})
	}
}

func TestSelectsNothingWithoutSelectorOrLabels(t *testing.T) {
	if (Policy{}).Selects(labels.Set{key: "a"}) {
		t.Error("a Policy without selector selects a namespace")
	}
	if (Policy{Selector: labels.Everything()}).Selects(nil) {
		t.Error("a namespace not in the cache (nil labels) is selected")
	}
}

func TestObserve(t *testing.T) {
	p := mustPolicy(t, key+"=a")
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Minute)
	for _, tc := range []struct {
		name string
		prev *Sighting
		set  labels.Set
		want Sighting
	}{
		{"1 not selected, never seen", nil, labels.Set{key: "b"}, Sighting{}},
		{"1 not selected any more", &Sighting{Selected: true}, labels.Set{key: "b"}, Sighting{}},
		{"1 not selected any more, mid-handover", &Sighting{Selected: true, Since: t0}, nil, Sighting{}},
		{"2 selected at first sight", nil, labels.Set{key: "a"}, Sighting{Selected: true}},
		{"3 selected after not selected", &Sighting{}, labels.Set{key: "a"}, Sighting{Selected: true, Since: now}},
		{"4 still selected since first sight", &Sighting{Selected: true}, labels.Set{key: "a", "x": "y"}, Sighting{Selected: true}},
		{"4 still selected mid-handover", &Sighting{Selected: true, Since: t0}, labels.Set{key: "a"}, Sighting{Selected: true, Since: t0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Observe(tc.prev, tc.set, now); got != tc.want {
				t.Errorf("Observe = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	p := mustPolicy(t, key+"=a")
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	a, b := labels.Set{key: "a"}, labels.Set{key: "b"}
	for _, tc := range []struct {
		name    string
		current labels.Labels
		last    *Sighting
		now     time.Time
		want    Decision
	}{
		{"1 not in the cache", nil, &Sighting{Selected: true}, t0, Decision{}},
		{"1 relabelled away, handler not told yet", b, &Sighting{Selected: true}, t0, Decision{}},
		{"1 not selected", b, &Sighting{}, t0, Decision{}},
		{"2 relabelled here, handler not told yet", a, &Sighting{}, t0, Decision{}},
		{"2 in the cache, never observed", a, nil, t0, Decision{}},
		{"3 selected since first sight", a, &Sighting{Selected: true}, t0, Decision{Owned: true}},
		{"4 handover just seen", a, &Sighting{Selected: true, Since: t0}, t0, Decision{Wait: 10 * time.Second}},
		{"4 handover under way", a, &Sighting{Selected: true, Since: t0}, t0.Add(7 * time.Second), Decision{Wait: 3 * time.Second}},
		{"4 handover done at the delay", a, &Sighting{Selected: true, Since: t0}, t0.Add(10 * time.Second), Decision{Owned: true}},
		{"4 handover done", a, &Sighting{Selected: true, Since: t0}, t0.Add(time.Hour), Decision{Owned: true}},
		{"4 clock behind Since", a, &Sighting{Selected: true, Since: t0}, t0.Add(-time.Second), Decision{Wait: 11 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Decide(tc.current, tc.last, tc.now); got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestHandover walks one namespace from shard a to shard b, each with its own
// Sighting, as the two processes would see the relabelling: at no instant do both
// own it, and b owns it once the delay has passed.
func TestHandover(t *testing.T) {
	pa, pb := mustPolicy(t, key+"=a"), mustPolicy(t, key+"=b")
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	onA, onB := labels.Set{key: "a"}, labels.Set{key: "b"}

	sa, sb := pa.Observe(nil, onA, t0), pb.Observe(nil, onA, t0) // both start
	relabel := t0.Add(time.Minute)
	// b sees the new label at once, a 3 seconds later (its watch lags).
	sb = pb.Observe(&sb, onB, relabel)
	for d := time.Duration(0); d <= 20*time.Second; d += 500 * time.Millisecond {
		now := relabel.Add(d)
		aSees := onA
		if d >= 3*time.Second {
			aSees = onB
			sa = pa.Observe(&sa, onB, now)
		}
		ownsA, ownsB := pa.Decide(aSees, &sa, now).Owned, pb.Decide(onB, &sb, now).Owned
		if ownsA && ownsB {
			t.Fatalf("%v after the relabelling both shards own the namespace", d)
		}
		if wantB := d >= pb.HandoverDelay; ownsB != wantB {
			t.Errorf("%v after the relabelling b owns it: %v, want %v", d, ownsB, wantB)
		}
	}
}
