package controller

// What wakes a base: the mapping of watch events to the bases they concern, and how
// they are queued. A declared change is queued at once; the echoes of the reconciler's
// own writes wake nothing; a bulk apply's events are gathered into spaced runs
// (burst.Spacer) queued with low priority, behind declared changes.

import (
	"context"
	"maps"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// statusOnly tells whether an update changed nothing but the object's status: its
// generation (the spec), labels, annotations (reconcile and reopen requests),
// finalizers and deletion are as before.
func statusOnly(before, after client.Object) bool {
	return before.GetGeneration() == after.GetGeneration() &&
		maps.Equal(before.GetLabels(), after.GetLabels()) && maps.Equal(before.GetAnnotations(), after.GetAnnotations()) &&
		slices.Equal(before.GetFinalizers(), after.GetFinalizers()) &&
		before.GetDeletionTimestamp().Equal(after.GetDeletionTimestamp())
}

// lowPriorityWhenStatusOnly enqueues a base whose status alone changed, unless the
// change is the echo of its own status write, with low priority. A delivery recorded
// on the status of a hundred bases at once (a fleet's devices fetching their new files)
// reconciles each of them to report Delivered; a change somebody made meanwhile should
// not wait behind those.
func (r *DectBaseReconciler) lowPriorityWhenStatusOnly() handler.EventHandler {
	return handler.Funcs{
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !statusOnly(e.ObjectOld, e.ObjectNew) || r.echoes.echo("DectBase", e.ObjectNew) {
				return // For enqueues the former, at the normal priority; the latter is no news
			}
			addLow(q, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.ObjectNew)}, 0)
		},
	}
}

// addLow enqueues req after wait (none when it is not positive) with low priority:
// behind the reconciles that a change of what is declared asks for. Spaced runs of a
// bulk apply, and what a flush at its end releases all at once, are background work:
// measured with hack/scale at 20,000 handsets, a person's change made as a bulk apply
// ended waited behind 152 bases queued at the same priority (4.3 s).
func addLow(q workqueue.TypedRateLimitingInterface[reconcile.Request], req reconcile.Request, wait time.Duration) {
	wait = max(wait, 0)
	if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		low := handler.LowPriority
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: &low, After: wait}, req)
		return
	}
	q.AddAfter(req, wait)
}

// notEcho maps an object to its bases, unless the event is the echo of the reconciler's
// own last write of it (echoes).
func (r *DectBaseReconciler) notEcho(kind string, mapFn handler.MapFunc) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		if r.echoes.echo(kind, o) {
			return nil
		}
		return mapFn(ctx, o)
	}
}

// spaced enqueues the bases that mapFn names for an event: at once when the base is
// quiet, gathered into spaced runs while a bulk apply keeps changing it (burst.Spacer).
// With updatesAtOnce, an update is enqueued at once all the same: a person's edit of a
// handset is not held back by a bulk apply that creates others.
func (r *DectBaseReconciler) spaced(mapFn handler.MapFunc, updatesAtOnce bool) handler.EventHandler {
	enqueue := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], objs ...client.Object) {
		seen := map[reconcile.Request]bool{}
		now := time.Now()
		for _, o := range objs {
			for _, req := range mapFn(ctx, o) {
				if seen[req] {
					continue
				}
				seen[req] = true
				if at := r.spacer.Next(req, now); at.After(now) {
					r.putOff(q, req, now, at)
				} else {
					addLow(q, req, 0)
				}
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
		// The new object alone: what maps it to bases (a handset's baseRef, a Secret's
		// name, the controller of a file) does not change with an update.
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if updatesAtOnce {
				for _, req := range mapFn(ctx, e.ObjectNew) {
					q.Add(req)
				}
				return
			}
			enqueue(ctx, q, e.ObjectNew)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
	}
}

// created enqueues a new base: at once, unless it comes in a bulk apply (burst.Spacer,
// rule 5), whose handsets follow it: then it runs with them, once the apply is over.
// Run at its creation, each base of a 10,000-handset apply (hack/scale) stored a file
// without its handsets, its Secret and its status while the API server was still taking
// the apply's objects, and read that file back to store the whole one after the apply.
// To a manager taking over, its cache's first list is such an apply: every base and
// handset created at once.
func (r *DectBaseReconciler) created() handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)}
			now := time.Now()
			if at := r.spacer.Created(req, now); at.After(now) {
				r.putOff(q, req, now, at)
			} else {
				q.Add(req)
			}
		},
	}
}

// putOff enqueues req for the later run at that the Spacer gave it, with low priority,
// and makes sure the flush at the burst's end brings it forward.
func (r *DectBaseReconciler) putOff(q workqueue.TypedRateLimitingInterface[reconcile.Request], req reconcile.Request, now, at time.Time) {
	addLow(q, req, at.Sub(now))
	r.flushWhenQuiet(q)
	// Its handsets' statuses may change again then: written after.
	r.HandsetStatuses.HoldUntil(req.NamespacedName, at)
}

// flushWhenQuiet reconciles the bases whose runs were put off, once the events stop
// (burst.Spacer, rule 4): one waiting timer at a time, re-armed while events come.
func (r *DectBaseReconciler) flushWhenQuiet(q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if !r.flushing.CompareAndSwap(false, true) {
		return
	}
	var check func()
	check = func() {
		due, quiet := r.spacer.Flush(time.Now())
		if !quiet {
			time.AfterFunc(max(r.spacer.QuietAfter(time.Now()), time.Millisecond), check)
			return
		}
		r.flushing.Store(false)
		now := time.Now()
		for _, req := range due {
			addLow(q, req, 0)
			// Its handsets' statuses were held for the run it had: released with this one.
			r.HandsetStatuses.HoldUntil(req.NamespacedName, now)
		}
	}
	time.AfterFunc(r.spacer.QuietAfter(time.Now()), check)
}

// controllingBase maps an object to the DectBase that controls it, if one does.
func controllingBase(_ context.Context, o client.Object) []reconcile.Request {
	ref := provfile.ControllerBase(o)
	if ref == nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: ref.Name}}}
}

func baseOfHandset(_ context.Context, o client.Object) []reconcile.Request {
	h := o.(*dectv1alpha1.Handset)
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: h.Namespace, Name: h.Spec.BaseRef.Name}}}
}

// basesReading maps a Secret to the bases that read it, directly or through a handset.
func (r *DectBaseReconciler) basesReading(ctx context.Context, o client.Object) []reconcile.Request {
	seen := map[string]bool{}
	var reqs []reconcile.Request
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}})
		}
	}
	var hs dectv1alpha1.HandsetList
	if err := r.List(ctx, &hs, client.InNamespace(o.GetNamespace()), client.MatchingFields{indexHandsetSecret: o.GetName()}); err == nil {
		for _, h := range hs.Items {
			add(h.Spec.BaseRef.Name)
		}
	}
	var bs dectv1alpha1.DectBaseList
	if err := r.List(ctx, &bs, client.InNamespace(o.GetNamespace()), client.MatchingFields{indexBaseSecret: o.GetName()}); err == nil {
		for _, b := range bs.Items {
			add(b.Name)
		}
	}
	return reqs
}

// basesSharingMAC wakes the other claimants of a MAC when one changes or goes away, so
// that the next oldest takes over.
func (r *DectBaseReconciler) basesSharingMAC(ctx context.Context, o client.Object) []reconcile.Request {
	mac, err := gigaset.ParseMAC(o.(*dectv1alpha1.DectBase).Spec.MACAddress)
	if err != nil {
		return nil
	}
	var list dectv1alpha1.DectBaseList
	if err := r.List(ctx, &list, client.MatchingFields{indexBaseMAC: mac}); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, b := range list.Items {
		if b.UID != o.GetUID() {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: b.Namespace, Name: b.Name}})
		}
	}
	return reqs
}

// policyChanges wakes the bases a change of a namespace's annotation macpolicy.Annotation
// concerns: those of the namespace (the annotation restricts them), and every base in any
// namespace whose MAC the annotation lists, before or after the change (a reservation
// takes a MAC from them, or gives it back), so that a MAC changes hands without a
// restart. Other changes of a namespace wake nothing.
func (r *DectBaseReconciler) policyChanges() handler.EventHandler {
	enqueue := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], ns string, values ...*string) {
		var lists []macpolicy.List
		for _, v := range values {
			if v != nil {
				l, _ := macpolicy.ParseList(*v) // what parses is what the policy reserves
				lists = append(lists, l)
			}
		}
		for _, req := range r.basesConcerned(ctx, ns, lists) {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if v := policyAnnotation(e.Object); v != nil {
				enqueue(ctx, q, e.Object.GetName(), v)
			}
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			before, after := policyAnnotation(e.ObjectOld), policyAnnotation(e.ObjectNew)
			if (before == nil) != (after == nil) || (before != nil && *before != *after) {
				enqueue(ctx, q, e.ObjectNew.GetName(), before, after)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if v := policyAnnotation(e.Object); v != nil {
				enqueue(ctx, q, e.Object.GetName(), v)
			}
		},
	}
}

// policyAnnotation is a namespace's annotation macpolicy.Annotation, nil when it has none.
func policyAnnotation(o client.Object) *string {
	if o == nil {
		return nil
	}
	if v, ok := o.GetAnnotations()[macpolicy.Annotation]; ok {
		return &v
	}
	return nil
}

// basesConcerned lists the bases in namespace ns and those whose MAC one of lists names.
// Annotations change rarely, but at start-up every annotated namespace is an event: the
// cache's bases are read without a copy.
func (r *DectBaseReconciler) basesConcerned(ctx context.Context, ns string, lists []macpolicy.List) []reconcile.Request {
	var all dectv1alpha1.DectBaseList
	if err := r.List(ctx, &all, client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).Error(err, "listing the bases a MAC policy change concerns", "namespace", ns)
		return nil
	}
	var reqs []reconcile.Request
	for _, b := range all.Items {
		concerned := b.Namespace == ns
		if mac, err := gigaset.ParseMAC(b.Spec.MACAddress); err == nil {
			for _, l := range lists {
				concerned = concerned || l.Match(mac) >= 0
			}
		}
		if concerned {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: b.Namespace, Name: b.Name}})
		}
	}
	return reqs
}
