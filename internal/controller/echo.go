package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// echoes tells the watch event each of the reconciler's own writes causes (its echo)
// from a change somebody else made. An echo is no news: reconciling the base for it
// would only pick up, ahead of its spaced run, whatever else a bulk apply added
// meanwhile, and write again. Another writer's change (a delivery record, a person's
// edit of the file) is reconciled as ever.
//
// An echo is known by the resource version the write returned, or, when the watch
// brings it before the write has returned (the two race: the event and the response
// leave the API server on separate connections), by its content: while a write is
// under way, an event whose object is what is being written is its echo. Measured with
// hack/scale at 2,000 handsets, the version alone missed about half of them.
type echoes struct {
	mu      sync.Mutex
	version map[echoKey]string
	// sending holds, while a write is under way, how to tell its echo by content.
	sending map[echoKey]func(client.Object) bool
}

type echoKey struct {
	kind string
	key  types.NamespacedName
}

// expect records, before a write of kind key, that an event whose object same accepts
// is its echo, until written ends the write.
func (e *echoes) expect(kind string, key types.NamespacedName, same func(client.Object) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sending == nil {
		e.sending = map[echoKey]func(client.Object) bool{}
	}
	e.sending[echoKey{kind, key}] = same
}

// written ends a write that expect announced: o is the object as written, with the
// resource version it has after the write; no version (nothing was written) or an error
// records nothing.
func (e *echoes) written(kind string, o client.Object, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := echoKey{kind, client.ObjectKeyFromObject(o)}
	delete(e.sending, k)
	if err != nil || o.GetResourceVersion() == "" {
		return
	}
	if e.version == nil {
		e.version = map[echoKey]string{}
	}
	e.version[k] = o.GetResourceVersion()
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
	if same, ok := e.sending[k]; ok && same(o) {
		delete(e.sending, k)
		return true
	}
	return false
}
