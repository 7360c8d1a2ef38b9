package push

import (
	"context"
	"sync"
	"time"
)

// Pusher keeps the scheduler's State of every base in memory and runs one step of it:
// what a reconciler calls, so that its own part is reading Facts and writing status.
// It is safe for concurrent use; reconciles of one base must not overlap (the
// controller's work queue guarantees that).
type Pusher struct {
	Policy  Policy
	Metrics *Metrics // nil records nothing

	mu     sync.Mutex
	states map[string]State
}

// Step decides for the base named key (e.g. namespace/name) and, when a push is due,
// sends it with n to t and returns its result. The send happens in the caller's
// goroutine and takes at most the notifier's timeout.
func (p *Pusher) Step(ctx context.Context, key string, f Facts, n Notifier, t Target, now time.Time) (Decision, *Result) {
	p.mu.Lock()
	if p.states == nil {
		p.states = map[string]State{}
	}
	d := Decide(p.Policy, p.states[key], f, now)
	p.states[key] = d.State
	p.mu.Unlock()

	var method Method
	if d.Fetched || d.Send {
		method = methodOf(n)
	}
	if d.Fetched {
		p.Metrics.Fetched(method, d.FetchedAfter)
	}
	if !d.Send {
		return d, nil
	}
	res := n.Notify(ctx, t)
	if res.Method == "" {
		res.Method = method
	}
	p.Metrics.Pushed(res)
	return d, &res
}

// Forget drops a base's state (the base was deleted, or its push method set to None).
func (p *Pusher) Forget(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.states, key)
}

// State returns a copy of a base's state, e.g. to show Forced in status.
func (p *Pusher) State(key string) State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.states[key]
}

// MethodNotifier is a Notifier that says which method it is, for the metrics of a
// fetch that follows a push.
type MethodNotifier interface {
	Method() Method
}

func methodOf(n Notifier) Method {
	if m, ok := n.(MethodNotifier); ok {
		return m.Method()
	}
	return ""
}
