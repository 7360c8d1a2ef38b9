package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// echoes remembers the resource version each of the reconciler's own writes produced,
// so that the watch event the write causes (its echo) is told from a change somebody
// else made. An echo is no news: reconciling the base for it would only pick up, ahead
// of its spaced run, whatever else a bulk apply added meanwhile, and write again.
// Another writer's change (a delivery record, a person's edit of the file) has another
// resource version and is reconciled as ever.
type echoes struct {
	mu      sync.Mutex
	version map[echoKey]string
}

type echoKey struct {
	kind string
	key  types.NamespacedName
}

// wrote records the resource version o has after a write of the reconciler's.
func (e *echoes) wrote(kind string, o client.Object) {
	if o.GetResourceVersion() == "" {
		return // not written
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.version == nil {
		e.version = map[echoKey]string{}
	}
	e.version[echoKey{kind, client.ObjectKeyFromObject(o)}] = o.GetResourceVersion()
}

// echo tells whether o, as a watch event brings it, is the echo of the reconciler's last
// write of it; once told, it is forgotten.
func (e *echoes) echo(kind string, o client.Object) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := echoKey{kind, client.ObjectKeyFromObject(o)}
	if v, ok := e.version[k]; ok && v == o.GetResourceVersion() {
		delete(e.version, k)
		return true
	}
	return false
}
