// Package shard decides which namespaces one manager shard owns, and when a namespace
// handed over from another shard becomes its own.
//
// Shards are several manager processes, each owning the namespaces a label selector
// on Namespaces selects (manager --shard-selector), each with its own leader lease.
// The selector is the whole contract between them: no shard talks to another, and a
// cluster admin moves a namespace by relabelling it. What a shard cannot know is when
// the shard that loses a namespace notices; the handover delay covers that: a shard
// that sees a namespace become selected while it runs waits that long before it
// writes there. No Kubernetes client here: the controller feeds what its cache sees.
package shard

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// ErrNotOwned is the error of a write a shard refuses because the namespace is not, or
// no longer, its own (the controller's write guard). Whoever gets it drops the write
// rather than retry it: another shard owns the object now.
var ErrNotOwned = errors.New("namespace not owned by this manager shard")

// DefaultHandoverDelay is manager --shard-handover-delay's default: well above the
// seconds a watch lags on a healthy API server.
const DefaultHandoverDelay = 10 * time.Second

// ParseSelector reads --shard-selector, a label selector over Namespaces in
// Kubernetes' notation (labels.Parse: `provisioning.dect-operator.dev/shard=a`,
// `shard in (a,b)`, `!legacy`), exactly as kubectl reads it: spaces are what
// labels.Parse takes for spaces, no more (a form feed is refused, not trimmed). An
// empty selector (Empty) selects every namespace: no sharding. The error names the
// flag, since it stops the manager at start-up.
func ParseSelector(s string) (labels.Selector, error) {
	if s == "" {
		return labels.Everything(), nil
	}
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("--shard-selector %q is not a label selector: %w", s, err)
	}
	return sel, nil
}

// Policy is one shard's rule: the namespaces it owns and how long it waits for one
// handed over to it.
type Policy struct {
	// Selector selects the shard's namespaces; nil selects none.
	Selector labels.Selector
	// HandoverDelay is how long after the shard saw a namespace become selected it
	// still keeps out of it (Decide).
	HandoverDelay time.Duration
}

// Sighting is what a shard last saw of a namespace through its watch.
type Sighting struct {
	// Selected tells whether the namespace was selected.
	Selected bool
	// Since, for a selected namespace, is when the shard first saw it selected after
	// having seen it not selected; zero when it was selected when first seen (at the
	// shard's start, or created labelled).
	Since time.Time
}

// Selects tells whether the policy's selector selects a namespace with these labels.
func (p Policy) Selects(set labels.Labels) bool {
	return p.Selector != nil && set != nil && p.Selector.Matches(set)
}

// Observe returns what the shard knows of a namespace it sees now with the labels
// set, having last seen it as prev (nil: never seen, or seen deleted). The order of
// the rules is the order of precedence:
//  1. Not selected: not selected, whatever came before.
//  2. Selected and never seen before: selected since the first sight (zero Since).
//     Every namespace the shard finds at start-up is in this case, and so is one
//     created with the label.
//  3. Selected, last seen not selected: handed over now; Since is now.
//  4. Selected, last seen selected: unchanged, so that an update that changes
//     something else neither restarts nor ends a handover.
func (p Policy) Observe(prev *Sighting, set labels.Labels, now time.Time) Sighting {
	switch {
	case !p.Selects(set):
		return Sighting{}
	case prev == nil:
		return Sighting{Selected: true}
	case !prev.Selected:
		return Sighting{Selected: true, Since: now}
	default:
		return *prev
	}
}

// Decision is whether the shard may reconcile in, and write to, a namespace now.
type Decision struct {
	Owned bool
	// Wait, when not Owned, is how long until the namespace is owned, should nothing
	// change meanwhile; 0 when that is not in sight.
	Wait time.Duration
}

// Decide decides whether the shard owns a namespace at now. current is the
// namespace's labels as the shard's cache holds them now (nil: not in the cache);
// last is what the shard's watch handler last observed (nil: nothing yet). The cache
// is updated before the handler runs, so the two may disagree for a moment. The order
// of the rules is the order of precedence:
//  1. Not selected as the cache holds it now, or not there: not owned. A shard
//     losing a namespace stops at its next decision after its cache sees the new
//     label, even before its handler has noticed.
//  2. Selected in the cache, but the handler has not seen it selected yet: not
//     owned, nothing to wait for: when the handler sees it (Observe), the
//     handover starts and the controller is told.
//  3. Selected since the shard first saw it: owned.
//  4. Handed over at Since: owned from Since+HandoverDelay on, not before (Wait is
//     what remains), so that the shard that lost it has noticed by then.
func (p Policy) Decide(current labels.Labels, last *Sighting, now time.Time) Decision {
	switch {
	case !p.Selects(current):
		return Decision{}
	case last == nil || !last.Selected:
		return Decision{}
	case last.Since.IsZero():
		return Decision{Owned: true}
	}
	if wait := last.Since.Add(p.HandoverDelay).Sub(now); wait > 0 {
		return Decision{Wait: wait}
	}
	return Decision{Owned: true}
}
