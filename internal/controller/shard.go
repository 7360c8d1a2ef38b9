package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/shard"
)

// Shard keeps one manager shard to its namespaces: those its selector selects
// (shard.Policy), as the manager's metadata-only cache of Namespaces sees them. It
// filters the reconcilers' events, makes Reconcile skip what it does not own, refuses
// the reconcilers' writes outside (Guard, GuardEvents), and wakes the bases of a
// namespace that joins the shard (Entered). A nil *Shard is no sharding: every method
// lets everything through, as before shards existed.
//
// The cache itself still holds every namespace's objects: every shard's pod serves
// every base (the provisioning Service selects every shard's pods), and the feed reads
// them from that cache. Only reconciling and writing are sharded.
type Shard struct {
	policy shard.Policy
	// cache reads Namespaces' metadata from the manager's cache.
	cache client.Reader
	now   func() time.Time
	log   logr.Logger

	mu sync.Mutex
	// seen is what the namespace watch handler last observed, by namespace.
	seen      map[string]shard.Sighting
	listeners []listener
	// synced tells when the handler has been given every namespace of the first list.
	synced func() bool
}

// listener is a controller's queue and how it maps a namespace that joined the shard
// to its requests.
type listener struct {
	ctx     context.Context
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
	collect func(ctx context.Context, ns string) []reconcile.Request
}

// errNotOwned is shard.ErrNotOwned: a write refused by Guard. Reconcile stops quietly
// on it (Lost); a writer of its own (outside Reconcile) given a guarded client must
// drop the write rather than retry it.
var errNotOwned = shard.ErrNotOwned

// namespaceMeta is an empty Namespace as the metadata-only cache holds it.
func namespaceMeta() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return m
}

// NewShard returns the Shard of policy for mgr, nil when the selector selects every
// namespace (no sharding). It watches Namespaces through the informer the DectBase
// controller's watch uses (metadata only), so that it sees what the reconcilers see.
func NewShard(ctx context.Context, mgr ctrl.Manager, policy shard.Policy, now func() time.Time) (*Shard, error) {
	if policy.Selector == nil || policy.Selector.Empty() {
		return nil, nil
	}
	if now == nil {
		now = time.Now
	}
	s := &Shard{
		policy: policy, cache: mgr.GetCache(), now: now, seen: map[string]shard.Sighting{},
		log: mgr.GetLogger().WithName("shard").WithValues("selector", policy.Selector.String()),
	}
	// Before the manager starts this only registers the informer; it starts with the
	// cache, in every replica, leader or not: a standby that takes over knows when each
	// handover began.
	inf, err := mgr.GetCache().GetInformer(ctx, namespaceMeta())
	if err != nil {
		return nil, fmt.Errorf("the Namespace informer: %w", err)
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.observe(o) },
		UpdateFunc: func(_, o any) { s.observe(o) },
		DeleteFunc: s.forget,
	})
	if err != nil {
		return nil, fmt.Errorf("watching Namespaces: %w", err)
	}
	s.synced = reg.HasSynced
	s.log.Info("manager shard", "handoverDelay", policy.HandoverDelay)
	return s, nil
}

// observe records what the watch shows of a namespace, and tells the controllers of
// one that joined the shard.
func (s *Shard) observe(o any) {
	m, err := meta.Accessor(o)
	if err != nil {
		return
	}
	name, now := m.GetName(), s.now()
	s.mu.Lock()
	prev, known := s.seen[name]
	var last *shard.Sighting
	if known {
		last = &prev
	}
	next := s.policy.Observe(last, labels.Set(m.GetLabels()), now)
	s.seen[name] = next
	listeners := s.listeners
	s.mu.Unlock()

	switch {
	case next.Selected && (last == nil || !last.Selected):
		if next.Since.IsZero() {
			s.log.Info("namespace joins the shard", "namespace", name)
		} else {
			s.log.Info("namespace handed over to the shard: owned after the handover delay", "namespace", name,
				"ownedFrom", next.Since.Add(s.policy.HandoverDelay))
		}
		// Reconcile waits out the handover (Skip): the requests go in now, so that
		// those of objects created meanwhile are not lost either.
		for _, l := range listeners {
			for _, req := range l.collect(l.ctx, name) {
				l.queue.Add(req)
			}
		}
	case !next.Selected && last != nil && last.Selected:
		s.log.Info("namespace leaves the shard: no more writes there", "namespace", name)
	}
}

func (s *Shard) forget(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	if m, err := meta.Accessor(o); err == nil {
		s.mu.Lock()
		delete(s.seen, m.GetName())
		s.mu.Unlock()
	}
}

// decide is shard.Policy.Decide for namespace ns now: its labels as the cache holds
// them at this moment, and what the handler has observed.
func (s *Shard) decide(ctx context.Context, ns string) (shard.Decision, error) {
	var current labels.Labels
	m := namespaceMeta()
	switch err := s.cache.Get(ctx, types.NamespacedName{Name: ns}, m); {
	case err == nil:
		current = labels.Set(m.GetLabels())
	case !apierrors.IsNotFound(err):
		return shard.Decision{}, fmt.Errorf("reading namespace %s from the cache: %w", ns, err)
	}
	s.mu.Lock()
	var last *shard.Sighting
	if v, ok := s.seen[ns]; ok {
		last = &v
	}
	s.mu.Unlock()
	return s.policy.Decide(current, last, s.now()), nil
}

// Skip tells Reconcile to do nothing for req (true) because the shard does not own
// its namespace: with a RequeueAfter for the end of a handover under way.
func (s *Shard) Skip(ctx context.Context, req ctrl.Request) (ctrl.Result, bool) {
	if s == nil {
		return ctrl.Result{}, false
	}
	d, err := s.decide(ctx, req.Namespace)
	switch {
	case err != nil:
		// Not known: not written. The cache read fails only while shutting down.
		return ctrl.Result{RequeueAfter: time.Second}, true
	case d.Owned:
		return ctrl.Result{}, false
	case d.Wait > 0:
		return ctrl.Result{RequeueAfter: d.Wait}, true
	}
	return ctrl.Result{}, true
}

// Lost tells whether err is Guard's refusal: the namespace left the shard during the
// reconcile. Not an error: the shard that owns it now reconciles it.
func (s *Shard) Lost(err error) bool {
	return s != nil && errors.Is(err, errNotOwned)
}

// Predicate drops the events of objects in namespaces the shard's selector does not
// select, as the cache holds them now, so that the other shards' objects and their
// writes do not fill the queues. It lets through Namespaces (cluster-scoped) and
// DectBases: a change of a base, or of a namespace's MAC policy, wakes the bases of
// every namespace that declare the same MAC (basesSharingMAC, policyChanges), and
// those of this shard must not miss a change in another's. Reconcile drops what they
// enqueue outside the shard (Skip).
func (s *Shard) Predicate() predicate.Predicate {
	if s == nil {
		return predicate.Funcs{}
	}
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		if o.GetNamespace() == "" {
			return true
		}
		if _, base := o.(*dectv1alpha1.DectBase); base {
			return true
		}
		m := namespaceMeta()
		if err := s.cache.Get(context.Background(), types.NamespacedName{Name: o.GetNamespace()}, m); err != nil {
			return !apierrors.IsNotFound(err) // unknown: let Reconcile decide
		}
		return s.policy.Selects(labels.Set(m.GetLabels()))
	})
}

// Entered is a source that enqueues collect's requests for each namespace that joins
// the shard while the controller runs. It reports synced once the namespace handler
// has been given the first list, so that no reconcile decides before the shard knows
// its namespaces. Without sharding it enqueues nothing.
func (s *Shard) Entered(collect func(ctx context.Context, ns string) []reconcile.Request) source.Source {
	return &entered{s: s, collect: collect}
}

type entered struct {
	s       *Shard
	collect func(ctx context.Context, ns string) []reconcile.Request
}

func (e *entered) Start(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	if e.s != nil {
		e.s.mu.Lock()
		e.s.listeners = append(e.s.listeners, listener{ctx: ctx, queue: q, collect: e.collect})
		e.s.mu.Unlock()
	}
	return nil
}

func (e *entered) WaitForSync(ctx context.Context) error {
	if e.s == nil || e.s.synced == nil {
		return nil
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), e.s.synced) {
		return fmt.Errorf("the shard's Namespace handler did not sync: %w", ctx.Err())
	}
	return nil
}

func (e *entered) String() string { return "shard: namespaces joining" }

// basesIn lists the bases of namespace ns: a namespace that joins the shard has them
// reconciled.
func (r *DectBaseReconciler) basesIn(ctx context.Context, ns string) []reconcile.Request {
	var list dectv1alpha1.DectBaseList
	if err := r.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, b := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: b.Name}})
	}
	return reqs
}

// handsetsWithoutBase lists the Handsets of namespace ns whose base does not exist:
// the others are the DectBase reconciler's.
func (r *HandsetReconciler) handsetsWithoutBase(ctx context.Context, ns string) []reconcile.Request {
	var list dectv1alpha1.HandsetList
	if err := r.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, h := range list.Items {
		var base dectv1alpha1.DectBase
		if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: h.Spec.BaseRef.Name}, &base); apierrors.IsNotFound(err) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: h.Name}})
		}
	}
	return reqs
}

// Guard returns c refusing every write (errNotOwned) to a namespace the shard does not
// own at the moment of the write, as its cache sees it then; reads pass. This is what
// ends a shard's writes in a namespace relabelled away as soon as its cache sees the
// label, even in the middle of a reconcile, or for a handset status decided before and
// written later (handsetstatus.Writer writes through a guarded client too). The
// provisioning server's delivery records are not written through it: every shard's pod
// serves, and records, every base.
func (s *Shard) Guard(c client.Client) client.Client {
	if s == nil {
		return c
	}
	return &guarded{Client: c, s: s}
}

type guarded struct {
	client.Client
	s *Shard
}

// allow returns errNotOwned, wrapped, unless the shard owns ns now. A write without a
// namespace is refused too: the reconcilers write no cluster-scoped object, and a
// shard writes in its namespaces only.
func (g *guarded) allow(ctx context.Context, ns string) error {
	if ns == "" {
		return fmt.Errorf("writing outside any namespace: %w", errNotOwned)
	}
	d, err := g.s.decide(ctx, ns)
	if err != nil {
		return err
	}
	if !d.Owned {
		// Only a write decided before the namespace left the shard gets here (a
		// reconcile under way, a handset status held by handsetstatus.Writer): Skip
		// keeps reconciles out. Rare, and worth a line when it happens.
		g.s.log.Info("write refused: the namespace is not this shard's", "namespace", ns)
		return fmt.Errorf("writing in namespace %s: %w", ns, errNotOwned)
	}
	return nil
}

// applyNamespace is the namespace of an apply configuration, "" when it has none to
// read, which allow refuses.
func applyNamespace(obj runtime.ApplyConfiguration) string {
	if a, ok := obj.(interface{ GetNamespace() *string }); ok && a.GetNamespace() != nil {
		return *a.GetNamespace()
	}
	return ""
}

func (g *guarded) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return g.Client.Create(ctx, obj, opts...)
}

func (g *guarded) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return g.Client.Update(ctx, obj, opts...)
}

func (g *guarded) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return g.Client.Patch(ctx, obj, patch, opts...)
}

func (g *guarded) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if err := g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return g.Client.Delete(ctx, obj, opts...)
}

// DeleteAllOf is allowed in one owned namespace only: across namespaces it would
// delete in other shards'.
func (g *guarded) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	o := (&client.DeleteAllOfOptions{}).ApplyOptions(opts)
	if err := g.allow(ctx, o.Namespace); err != nil {
		return err
	}
	return g.Client.DeleteAllOf(ctx, obj, opts...)
}

func (g *guarded) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	if err := g.allow(ctx, applyNamespace(obj)); err != nil {
		return err
	}
	return g.Client.Apply(ctx, obj, opts...)
}

func (g *guarded) Status() client.SubResourceWriter {
	return &guardedSub{w: g.Client.Status(), g: g}
}

func (g *guarded) SubResource(name string) client.SubResourceClient {
	c := g.Client.SubResource(name)
	return &guardedSub{SubResourceReader: c, w: c, g: g}
}

// guardedSub guards a subresource's writes; its reads pass.
type guardedSub struct {
	client.SubResourceReader // nil for Status(), which only writes
	w                        client.SubResourceWriter
	g                        *guarded
}

func (s *guardedSub) Create(ctx context.Context, obj, sub client.Object, opts ...client.SubResourceCreateOption) error {
	if err := s.g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return s.w.Create(ctx, obj, sub, opts...)
}

func (s *guardedSub) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := s.g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return s.w.Update(ctx, obj, opts...)
}

func (s *guardedSub) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := s.g.allow(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	return s.w.Patch(ctx, obj, patch, opts...)
}

func (s *guardedSub) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	if err := s.g.allow(ctx, applyNamespace(obj)); err != nil {
		return err
	}
	return s.w.Apply(ctx, obj, opts...)
}

// GuardEvents returns r dropping the Events about objects in namespaces the shard
// does not own at that moment: an Event is a write in the object's namespace too,
// and the status write it goes with is refused (Guard).
func (s *Shard) GuardEvents(r events.EventRecorder) events.EventRecorder {
	if s == nil || r == nil {
		return r
	}
	return &guardedEvents{r: r, s: s}
}

type guardedEvents struct {
	r events.EventRecorder
	s *Shard
}

func (g *guardedEvents) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	m, err := meta.Accessor(regarding)
	if err != nil {
		return
	}
	if ns := m.GetNamespace(); ns != "" {
		if d, err := g.s.decide(context.Background(), ns); err != nil || !d.Owned {
			return
		}
	}
	g.r.Eventf(regarding, related, eventtype, reason, action, note, args...)
}
