// Package handsetstatus writes the status of Handsets for the reconciler that decides
// them: later, together per base, and fewer.
//
// A base's reconcile decides the status of each of its (up to 100) handsets at once.
// Written at once, one by one, those writes dominated the operator's traffic at fleet
// scale: a handset's status was written when it was first rendered, again when the
// device fetched the file a moment later, and every write queued in front of the next
// file on its way to a device. The Writer holds them back briefly and writes only the
// newest, so that a bulk apply writes each handset's status about once, with its
// delivery.
package handsetstatus

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/shard"
	"github.com/dect-operator/dect-operator/internal/wire"
)

// Defaults of Writer's timings.
const (
	// DefaultHold lets the device's fetch of a new file, which follows its render within
	// seconds when the device is pushed or polling, land in the same write as the render.
	DefaultHold = 5 * time.Second
	// DefaultMaxHold bounds how stale a handset's status may be while its base keeps
	// changing, as during the bulk apply of a large site (20,000 handsets took three and
	// a half minutes to apply on a 2-core test machine, where 2 minutes made a tenth of
	// the statuses be written twice, the first time while the apply went on).
	DefaultMaxHold = 5 * time.Minute
	// DefaultRetry is the wait after a failed write.
	DefaultRetry = time.Second
	// DefaultWorkers is how many writes are in flight at once.
	DefaultWorkers = 4
)

// Writer writes the statuses that Set is given, by these rules:
//
//  1. Only the newest status decided for a handset is written: one decided while an
//     older one waits replaces it.
//  2. The statuses waiting for one base are written together, once no status of that
//     base has changed for Hold and the base has no reconcile scheduled (HoldUntil), or
//     MaxHold after the oldest of them was decided, whichever comes first.
//  3. A status the handset already has is not written; neither is one of a handset that
//     was deleted, or deleted and created again (another UID), meanwhile, nor one whose
//     namespace left this manager shard (the Client refuses it: shard.ErrNotOwned; the
//     shard that owns it now decides its status).
//  4. A failed write is retried after Retry, with whatever status is newest by then.
//  5. While the cache still shows a handset as it was before a write (the resource
//     version the write started from), Newest gives the written status, so that a
//     reconcile in between decides from it and not from the older one (which would
//     decide a different status and write again). Any other version is trusted as it
//     is: the write itself, or a change somebody else made after it (a restore that
//     strips status is written again).
//
// The Writer is a manager Runnable (Start); it needs leader election, as do the
// reconcilers that call Set. Its Client should have a rate limit of its own, so that a
// burst of status writes never delays a file write of the reconciler's client.
type Writer struct {
	// Client writes the status subresource; Reader reads the handset as the cache has it
	// just before the write.
	Client client.Client
	Reader client.Reader
	// OnWrite, when set, is called after each successful write with the conditions
	// before and after it (the reconciler emits its Events there).
	OnWrite func(h *dectv1alpha1.Handset, before, after []metav1.Condition)
	// Log reports failed writes.
	Log logr.Logger

	Hold, MaxHold, Retry time.Duration
	Workers              int

	mu      sync.Mutex
	pending map[types.NamespacedName]*entry // by handset
	// waiting is pending's handsets by base: a base falling due reads its own statuses,
	// not every status waiting in the fleet (a bulk apply of 100,000 handsets leaves
	// them all waiting while each base's reconcile wakes the Writer).
	waiting  map[types.NamespacedName]map[types.NamespacedName]struct{}
	groups   map[types.NamespacedName]*group // by base
	written  map[types.NamespacedName]written
	wake     chan struct{}
	inFlight map[types.NamespacedName]bool
	// sending is the status of each write under way, as the watch will bring it back.
	sending map[types.NamespacedName]dectv1alpha1.HandsetStatus
	swept   time.Time // when forgetWritten last ran
}

// entry is the newest status decided for one handset, not yet written.
type entry struct {
	uid    types.UID
	base   types.NamespacedName
	status dectv1alpha1.HandsetStatus
	// notBefore delays a retry (rule 4).
	notBefore time.Time
}

// group is the statuses of one base waiting: when the oldest was decided, when one
// last changed, and until when a scheduled reconcile of the base holds them (rule 2).
type group struct {
	first, last, until time.Time
}

// written is a status written but perhaps not yet in the cache (rule 5): the resource
// versions before and after the write.
type written struct {
	before, after string
	status        dectv1alpha1.HandsetStatus
	at            time.Time
}

// writtenKeep is how long a written status stands in for the cache's: the watch brings
// the write back within moments; past this the cache is trusted whatever it says.
const writtenKeep = 30 * time.Second

func (w *Writer) init() {
	if w.pending == nil {
		w.pending = map[types.NamespacedName]*entry{}
		w.waiting = map[types.NamespacedName]map[types.NamespacedName]struct{}{}
		w.groups = map[types.NamespacedName]*group{}
		w.written = map[types.NamespacedName]written{}
		w.inFlight = map[types.NamespacedName]bool{}
		w.sending = map[types.NamespacedName]dectv1alpha1.HandsetStatus{}
		w.wake = make(chan struct{}, 1)
	}
}

func (w *Writer) hold() time.Duration    { return durationOr(w.Hold, DefaultHold) }
func (w *Writer) maxHold() time.Duration { return durationOr(w.MaxHold, DefaultMaxHold) }
func (w *Writer) retry() time.Duration   { return durationOr(w.Retry, DefaultRetry) }

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Newest replaces the status of each handset with the newest one decided for it, waiting
// or just written (rules 1 and 5). The reconciler calls it on the handsets it read
// before it decides their statuses.
func (w *Writer) Newest(handsets []dectv1alpha1.Handset) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	now := time.Now()
	for i := range handsets {
		h := &handsets[i]
		if e := w.pending[client.ObjectKeyFromObject(h)]; e != nil && e.uid == h.UID {
			h.Status = *e.status.DeepCopy()
			continue
		}
		w.lastWritten(h, now)
	}
}

// lastWritten replaces h's status with the one last written, while the cache may not
// show it yet (rule 5). w.mu is held.
func (w *Writer) lastWritten(h *dectv1alpha1.Handset, now time.Time) {
	wr, ok := w.written[client.ObjectKeyFromObject(h)]
	if ok && h.ResourceVersion == wr.before && now.Sub(wr.at) <= writtenKeep {
		h.Status = *wr.status.DeepCopy()
	}
}

// Wrote tells whether h, as a watch event brings it, is the Writer's own last write of
// its status (its echo), which is no news to the handset's base: it has the version the
// write returned, or, while the write has not returned yet (the watch can bring the
// event first), the status being written.
func (w *Writer) Wrote(h client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := client.ObjectKeyFromObject(h)
	if wr, ok := w.written[key]; ok && wr.after == h.GetResourceVersion() {
		return true
	}
	st, ok := w.sending[key]
	hs, isHandset := h.(*dectv1alpha1.Handset)
	return ok && isHandset && equality.Semantic.DeepEqual(hs.Status, st)
}

// Set records st as the status to write for h, a handset of base. h is the handset as
// the reconciler read it, after Newest.
func (w *Writer) Set(base types.NamespacedName, h *dectv1alpha1.Handset, st dectv1alpha1.HandsetStatus) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	key := client.ObjectKeyFromObject(h)
	e := w.pending[key]
	if e == nil && equality.Semantic.DeepEqual(h.Status, st) {
		return // rule 3: nothing new
	}
	if e != nil && e.uid == h.UID && equality.Semantic.DeepEqual(e.status, st) {
		return // rule 1: the same status waits already
	}
	now := time.Now()
	if e == nil {
		e = &entry{}
		w.pending[key] = e
	} else {
		w.unindex(e.base, key) // the handset may name another base now
	}
	e.uid, e.base, e.status = h.UID, base, *st.DeepCopy()
	if w.waiting[base] == nil {
		w.waiting[base] = map[types.NamespacedName]struct{}{}
	}
	w.waiting[base][key] = struct{}{}
	g := w.groups[base]
	if g == nil {
		g = &group{first: now}
		w.groups[base] = g
	}
	g.last = now
	w.signal()
}

// HoldUntil tells the Writer that base will be reconciled next at t (a bulk apply is
// under way: burst.Spacer), which may change its handsets' statuses again: those
// waiting are held until Hold after t, within MaxHold (rule 2). The newest call wins:
// a run brought forward (the apply is over and the Spacer flushes) releases the
// statuses with it, instead of holding them for the run it replaced. Without statuses
// waiting it does nothing.
func (w *Writer) HoldUntil(base types.NamespacedName, t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	if g := w.groups[base]; g != nil {
		g.until = t.Add(w.hold())
		w.signal() // the writer may be asleep until the later time
	}
}

// Pending is how many handsets have a status waiting to be written.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// due returns the handsets whose statuses are due now (rule 2) and when the next
// group falls due (zero: none waits).
func (w *Writer) due(now time.Time) ([]types.NamespacedName, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	dueBases := map[types.NamespacedName]bool{}
	for base, g := range w.groups {
		at := g.last.Add(w.hold())
		if g.until.After(at) {
			at = g.until
		}
		if limit := g.first.Add(w.maxHold()); limit.Before(at) {
			at = limit
		}
		if at.After(now) {
			later(at)
			continue
		}
		dueBases[base] = true
	}
	var keys []types.NamespacedName
	keep := map[types.NamespacedName]bool{} // due bases with a retry still to wait for
	for base := range dueBases {
		for key := range w.waiting[base] {
			if w.inFlight[key] {
				// In flight: done or failed makes its base due again if it must be.
				continue
			}
			if e := w.pending[key]; e.notBefore.After(now) {
				later(e.notBefore)
				keep[base] = true
				continue
			}
			keys = append(keys, key)
			w.inFlight[key] = true
		}
	}
	for base := range dueBases {
		if !keep[base] {
			delete(w.groups, base)
		}
	}
	return keys, next
}

// Start writes the statuses as they fall due, until ctx is done. What waits then is
// dropped: the next leader's reconciles decide it again.
func (w *Writer) Start(ctx context.Context) error {
	w.mu.Lock()
	w.init()
	wake := w.wake
	w.mu.Unlock()

	work := make(chan types.NamespacedName)
	var wg sync.WaitGroup
	for range max(w.Workers, 1) {
		wg.Go(func() {
			for key := range work {
				w.write(ctx, key)
			}
		})
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.forgetWritten(time.Now())
		keys, next := w.due(time.Now())
		for _, key := range keys {
			select {
			case work <- key:
			case <-ctx.Done():
				return nil
			}
		}
		wait := writtenKeep // at the latest, to forget what was written
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), time.Millisecond))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-timer.C:
		}
	}
}

// write writes the status waiting for key, if it still should be (rule 3), and
// schedules a retry when the write fails (rule 4).
func (w *Writer) write(ctx context.Context, key types.NamespacedName) {
	w.mu.Lock()
	e := w.pending[key]
	var st dectv1alpha1.HandsetStatus
	var uid types.UID
	if e != nil {
		st, uid = *e.status.DeepCopy(), e.uid
	}
	w.mu.Unlock()
	if e == nil {
		w.done(key, nil, "", nil)
		return
	}

	var h dectv1alpha1.Handset
	err := w.Reader.Get(ctx, key, &h)
	if apierrors.IsNotFound(err) || (err == nil && h.UID != uid) {
		w.done(key, &st, "", nil)
		return
	}
	if err != nil {
		w.failed(ctx, key, err)
		return
	}
	w.mu.Lock()
	w.lastWritten(&h, time.Now()) // the status as last written, if the cache lags
	w.mu.Unlock()
	before := h.Status // as it is
	h.Status = st      // as it should be
	if equality.Semantic.DeepEqual(before, h.Status) {
		w.done(key, &h.Status, "", nil)
		return
	}
	orig := h.DeepCopy()
	orig.Status = before
	from := h.ResourceVersion
	sent := h.Status.DeepCopy() // the response has times rounded to the second
	w.mu.Lock()
	w.sending[key] = wire.Stored(*sent)
	w.mu.Unlock()
	if err := w.Client.Status().Patch(ctx, &h, client.MergeFrom(orig)); err != nil {
		if apierrors.IsNotFound(err) || errors.Is(err, shard.ErrNotOwned) {
			w.done(key, sent, "", nil)
			return
		}
		w.failed(ctx, key, err)
		return
	}
	w.done(key, sent, from, &h)
	if w.OnWrite != nil {
		w.OnWrite(&h, before.Conditions, h.Status.Conditions)
	}
}

// done ends the write of key: the waiting status is dropped when it is still the one
// written (st), and the written object, if any, is kept for Newest with the version the
// write started from (rule 5).
func (w *Writer) done(key types.NamespacedName, st *dectv1alpha1.HandsetStatus, from string, wrote *dectv1alpha1.Handset) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inFlight, key)
	delete(w.sending, key)
	if e := w.pending[key]; e != nil && st != nil && equality.Semantic.DeepEqual(e.status, *st) {
		delete(w.pending, key)
		w.unindex(e.base, key)
	} else if e != nil {
		// Decided anew while it was being written: due again (rule 1).
		w.requeue(e)
	}
	if wrote != nil {
		w.written[key] = written{before: from, after: wrote.ResourceVersion, status: *wrote.Status.DeepCopy(), at: time.Now()}
	}
}

// failed keeps the status waiting and tries again after Retry (rule 4).
func (w *Writer) failed(ctx context.Context, key types.NamespacedName, err error) {
	if ctx.Err() == nil {
		w.Log.Info("writing a handset's status failed; retrying", "handset", key.String(), "error", err.Error())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inFlight, key)
	delete(w.sending, key)
	if e := w.pending[key]; e != nil {
		e.notBefore = time.Now().Add(w.retry())
		w.requeue(e)
	}
}

// forgetWritten drops, at most once per writtenKeep, the written statuses kept longer
// than that (rule 5): after a bulk apply nothing may read them again for a long time,
// and a fleet's worth of statuses would stay in memory meanwhile.
func (w *Writer) forgetWritten(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.swept) < writtenKeep {
		return
	}
	w.swept = now
	for key, wr := range w.written {
		if now.Sub(wr.at) > writtenKeep {
			delete(w.written, key)
		}
	}
}

// unindex drops handset key from base's waiting statuses. w.mu is held.
func (w *Writer) unindex(base, key types.NamespacedName) {
	if keys := w.waiting[base]; keys != nil {
		delete(keys, key)
		if len(keys) == 0 {
			delete(w.waiting, base)
		}
	}
}

// requeue makes e's base due again (its group was taken when it fell due).
func (w *Writer) requeue(e *entry) {
	if _, ok := w.groups[e.base]; !ok {
		now := time.Now()
		w.groups[e.base] = &group{first: now.Add(-w.maxHold()), last: now}
	}
	w.signal()
}
