// Package controllers holds the reconcilers. They read objects, hand them to the pure
// packages under internal/ that decide what the device is given, and write the results:
// the provisioning file and the status of bases and handsets.
package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/assemble"
	"github.com/dect-operator/dect-operator/internal/burst"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/handsetstatus"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/push"
)

// DectBaseReconciler keeps each base's provisioning file, and the status of the base and
// of its handsets, in step with what is declared. One reconcile owns one whole base: the
// slots of its handsets depend on each other, so they are decided together.
type DectBaseReconciler struct {
	client.Client
	// APIReader reads around the cache, for the rare object the cache does not hold.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// ServerURL is where devices reach the provisioning server (what DHCP option 114 or
	// the device's web UI should say); reported in each base's status. Empty: unknown.
	ServerURL string
	// Now is the clock; tests replace it.
	Now func() time.Time
	// StallAfter is how long a missing Secret or DectBase is waited for before it is
	// reported as Stalled; 0 means assemble.DefaultStallAfter.
	StallAfter time.Duration
	// Pusher asks devices to fetch a changed file now (spec.push); one per manager.
	// nil: no base is pushed.
	Pusher *push.Pusher
	// MACPolicy is what a namespace without the annotation macpolicy.Annotation may
	// declare; the provisioning server must be given the same.
	MACPolicy macpolicy.Mode
	// HandsetStatuses writes the status of handsets; the reconcilers decide it.
	HandsetStatuses *handsetstatus.Writer
	// Shard, when not nil, keeps the reconcilers to a manager shard's namespaces.
	Shard *Shard

	// spacer gathers the reconciles that a burst of Handset and Secret events asks of a
	// base (burst.Spacer); flushing is set while a flush waits for the events to stop.
	spacer   burst.Spacer[reconcile.Request]
	flushing atomic.Bool
	// echoes tells the watch events of its own writes from others' changes.
	echoes echoes
}

// +kubebuilder:rbac:groups=provisioning.dect-operator.dev,resources=dectbases;handsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=provisioning.dect-operator.dev,resources=dectbases,verbs=update;patch
// +kubebuilder:rbac:groups=provisioning.dect-operator.dev,resources=dectbases/finalizers,verbs=update
// +kubebuilder:rbac:groups=provisioning.dect-operator.dev,resources=dectbases/status;handsets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// Secrets: RBAC cannot grant by label, so these verbs cover every Secret; the manager
// lists and watches only those labelled consumable (its cache's selector, manager.go) and
// reads no other Secret's data (readSecrets). It never patches one.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconcile renders one base's file from the base, its handsets and their Secrets, stores
// it, and reports what happened on every object involved.
func (r *DectBaseReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if res, skip := r.Shard.Skip(ctx, req); skip {
		return res, nil
	}
	res, err := r.reconcile(ctx, req)
	if err != nil && (ctx.Err() != nil || r.Shard.Lost(err)) {
		// Shutting down: the next leader (or the next start) reconciles again. Or the
		// namespace left the shard meanwhile: the shard that owns it now does.
		return ctrl.Result{}, nil
	}
	return res, err
}

func (r *DectBaseReconciler) reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)

	var base dectv1alpha1.DectBase
	if err := r.Get(ctx, req.NamespacedName, &base); err != nil {
		// A deleted base takes its ConfigMap and Secret along (owner references); its
		// handsets report the missing base through the Handset reconciler.
		r.forgetPushes(req.String())
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !base.DeletionTimestamp.IsZero() {
		r.forgetPushes(req.String())
		return ctrl.Result{}, r.releaseRecord(ctx, &base)
	}
	if err := r.holdRecord(ctx, &base); err != nil {
		return ctrl.Result{}, err
	}
	handsets, err := r.listHandsets(ctx, &base)
	if err != nil {
		return ctrl.Result{}, err
	}
	// Statuses decided but not yet written, or not yet back in the cache, are what the
	// handsets' statuses are now.
	r.HandsetStatuses.Newest(handsets)
	mac, err := gigaset.ParseMAC(base.Spec.MACAddress)
	if err != nil { // refused at admission; reported should it ever get here
		return ctrl.Result{}, r.stall(ctx, &base, handsets, dectv1alpha1.ReasonInvalidSettings, err.Error())
	}

	// The server serves files by MAC, so only one base may speak for a device: the one
	// the cluster's MAC policy gives it to (by default the oldest that declares it).
	verdict, err := r.macVerdict(ctx, &base, mac)
	if err != nil {
		return ctrl.Result{}, err
	}
	if verdict.Reason != "" {
		if err := r.deleteFile(ctx, &base); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, r.stall(ctx, &base, handsets, string(verdict.Reason), verdict.Message)
	}

	// The stored file is the durable record of the slots and of each slot's last good
	// settings; status alone could be lost (a restore from backup) without moving a slot.
	stored, err := r.loadStoredFile(ctx, &base)
	if err != nil {
		return ctrl.Result{}, err
	}
	secrets, refused, err := r.readSecrets(ctx, &base, handsets)
	if errors.Is(err, errNotCachedYet) {
		// The watch that brings the Secret into the cache reconciles the base again;
		// the requeue is a safety net. Not an error: a Secret created (or labelled) just
		// after the object that names it is the common case.
		log.V(1).Info("waiting for the cache", "reason", err.Error())
		return ctrl.Result{RequeueAfter: notCachedRetry}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	hashKey, err := keyOf(stored.file)
	if err != nil {
		return ctrl.Result{}, err
	}

	now := r.now()
	res, err := assemble.Build(assemble.Input{
		Base: &base, MAC: mac, Handsets: handsets, Secrets: secrets, Refused: refused,
		Stored: stored.file, PreviousOwners: ownersFromStatus(&base), HashKey: hashKey, Now: now,
		HoldAbsent: r.policy(now).StallAfter, ServerURL: r.ServerURL,
	})
	var problem *assemble.Error
	if errors.As(err, &problem) {
		return ctrl.Result{}, r.stall(ctx, &base, handsets, problem.Reason, problem.Message)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if res.StoredUnreadable != "" {
		log.Info("stored file unreadable; falling back to the slot table in status", "reason", res.StoredUnreadable)
	}

	if err := r.writeFile(ctx, &base, stored, &res.File); err != nil {
		return ctrl.Result{}, err
	}
	log.V(1).Info("file stored", "mac", mac, "generation", res.File.Generation, "changed", res.Changed)

	statuses := assemble.Status(&base, handsets, res, r.policy(now))
	if err := r.writeStatuses(ctx, &base, handsets, statuses); err != nil {
		return ctrl.Result{}, err
	}
	// With the new file served, ask the device to fetch it now (spec.push).
	pushNext, err := r.stepPush(ctx, &base, handsets, statuses, secrets, refused)
	if err != nil {
		return ctrl.Result{}, err
	}
	// Wake up exactly when the registration window changes state, a wait turns into
	// Stalled, or a push is due, instead of polling.
	return requeueAt(r.now(), nonZeroAfter(statuses.Next, time.Second), pushNext), nil
}

// requeueAt asks to be reconciled at the earliest of the times that are not zero.
func requeueAt(now time.Time, at ...time.Time) ctrl.Result {
	var next time.Time
	for _, t := range at {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if next.IsZero() {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: max(next.Sub(now), time.Millisecond)}
}

func nonZeroAfter(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}

func (r *DectBaseReconciler) forgetPushes(key string) {
	if r.Pusher != nil {
		r.Pusher.Forget(key)
	}
}

func (r *DectBaseReconciler) policy(now time.Time) assemble.Policy {
	return assemble.Policy{ServerURL: r.ServerURL, Now: now, StallAfter: cmp.Or(r.StallAfter, assemble.DefaultStallAfter)}
}

func (r *DectBaseReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// listHandsets returns the Handsets that name base.
func (r *DectBaseReconciler) listHandsets(ctx context.Context, base *dectv1alpha1.DectBase) ([]dectv1alpha1.Handset, error) {
	var list dectv1alpha1.HandsetList
	if err := r.List(ctx, &list, client.InNamespace(base.Namespace), client.MatchingFields{indexHandsetBase: base.Name}); err != nil {
		return nil, fmt.Errorf("listing the handsets of %s: %w", base.Name, err)
	}
	return list.Items, nil
}

// macVerdict decides base's claim on mac, its MAC, among every DectBase that declares
// it, under the cluster's MAC policy: the Reason is "" when base holds it.
func (r *DectBaseReconciler) macVerdict(ctx context.Context, base *dectv1alpha1.DectBase, mac string) (macpolicy.Verdict, error) {
	var list dectv1alpha1.DectBaseList
	if err := r.List(ctx, &list, client.MatchingFields{indexBaseMAC: mac}); err != nil {
		return macpolicy.Verdict{}, fmt.Errorf("listing the bases with MAC %s: %w", mac, err)
	}
	policy, err := r.macPolicy(ctx)
	if err != nil {
		return macpolicy.Verdict{}, err
	}
	claims := make([]macpolicy.Claim, 0, len(list.Items)+1)
	self := -1
	for i := range list.Items {
		if list.Items[i].UID == base.UID {
			self = i
		}
		claims = append(claims, provfile.ClaimOf(&list.Items[i]))
	}
	if self < 0 { // not in the index yet: base is as the reconcile read it
		self = len(claims)
		claims = append(claims, provfile.ClaimOf(base))
	}
	return policy.Decide(mac, claims).Verdicts[self], nil
}

// macPolicy is the MAC policy as the cache sees it now.
func (r *DectBaseReconciler) macPolicy(ctx context.Context) (macpolicy.Policy, error) {
	namespaces := provfile.NamespaceList()
	// Read only, so the cache's objects are used as they are: every reconcile reads every
	// namespace, and a deep copy would copy each one's managed fields.
	if err := r.List(ctx, namespaces, client.UnsafeDisableDeepCopy); err != nil {
		return macpolicy.Policy{}, fmt.Errorf("listing the namespaces: %w", err)
	}
	return provfile.MACPolicy(r.MACPolicy, namespaces.Items), nil
}

// readSecrets reads every Secret the base and its handsets reference and may use
// (assemble.Consumable), and lists those that exist but may not be used, unread.
func (r *DectBaseReconciler) readSecrets(ctx context.Context, base *dectv1alpha1.DectBase, handsets []dectv1alpha1.Handset) (assemble.Secrets, assemble.Refused, error) {
	names := baseSecretNames(base)
	for i := range handsets {
		names = append(names, handsets[i].Spec.SIP.PasswordSecretRef.Name)
	}
	secrets, refused := assemble.Secrets{}, assemble.Refused{}
	for _, name := range names {
		if _, done := secrets[name]; done {
			continue
		}
		if _, done := refused[name]; done {
			continue
		}
		key := types.NamespacedName{Namespace: base.Namespace, Name: name}
		// The cache holds only Secrets labelled consumable, the data of no other.
		var s corev1.Secret
		err := r.Get(ctx, key, &s)
		switch {
		case err == nil:
			if ok, why := assemble.Consumable(&s); !ok {
				refused[name] = why
				continue
			}
			secrets[name] = s.Data
			continue
		case !apierrors.IsNotFound(err):
			return nil, nil, fmt.Errorf("reading Secret %s: %w", name, err)
		case r.APIReader == nil:
			continue
		}
		// Not in the cache: missing, or there without the label. Only its metadata is
		// asked for, so that the data of a Secret that did not opt in never reaches the
		// manager; this happens only while a reference is broken.
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err = r.APIReader.Get(ctx, key, m)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("reading the metadata of Secret %s: %w", name, err)
		}
		ok, why := assemble.Consumable(m)
		if ok {
			// Created or labelled just now: the cache has yet to see it. Waited for
			// rather than read around the cache.
			return nil, nil, fmt.Errorf("Secret %s is labelled %s: %w", name, dectv1alpha1.LabelConsumable, errNotCachedYet)
		}
		refused[name] = why
	}
	return secrets, refused, nil
}

// errNotCachedYet: a Secret that may be used exists, but the cache does not hold it yet.
var errNotCachedYet = errors.New("not in the cache yet")

// notCachedRetry is the safety net after errNotCachedYet: the Secret's watch event
// reconciles the base (spaced, as any) as soon as the cache has it. A short retry would
// run the base again and again, around the Spacer, while a bulk apply's Secrets arrive,
// each run storing its file anew.
const notCachedRetry = 30 * time.Second

// SetupWithManager registers the reconciler: it runs for a base whenever the base, one of
// its handsets, a Secret either references, one of its own objects, another base with
// the same MAC, or a namespace's MAC policy that concerns it changes. Secrets are watched
// through the label-filtered cache: labelling a referenced Secret consumable adds it
// there, which wakes the bases that refused it.
func (r *DectBaseReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		// A change of a base's status alone (a delivery recorded, its own status write)
		// waits behind changes of what is declared: see statusOnly. A new base may wait
		// for the handsets that follow it: see created.
		For(&dectv1alpha1.DectBase{}, builder.WithPredicates(predicate.Funcs{
			CreateFunc: func(event.CreateEvent) bool { return false },
			UpdateFunc: func(e event.UpdateEvent) bool { return !statusOnly(e.ObjectOld, e.ObjectNew) },
		})).
		Watches(&dectv1alpha1.DectBase{}, r.lowPriorityWhenStatusOnly()).
		Watches(&dectv1alpha1.DectBase{}, r.created()).
		// Its own file and Secret: mostly the echo of its own writes, which would otherwise
		// reconcile a base at once between the spaced runs of a bulk apply; a person's
		// edit or deletion of them is repaired all the same.
		Watches(&corev1.ConfigMap{}, r.spaced(r.notEcho("ConfigMap", controllingBase), false)).
		Watches(&corev1.Secret{}, r.spaced(r.notEcho("Secret", controllingBase), false)).
		// A handset's status is the reconciler's own output: a change of its spec or
		// annotations (a reconcile request) is news to its base, and so is a change of
		// its status by anyone but the status writer (a restore without status).
		Watches(&dectv1alpha1.Handset{}, r.spaced(baseOfHandset, true),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{},
				predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool { return !r.HandsetStatuses.Wrote(e.ObjectNew) }}))).
		Watches(&corev1.Secret{}, r.spaced(r.basesReading, false)).
		Watches(&dectv1alpha1.DectBase{}, handler.EnqueueRequestsFromMapFunc(r.basesSharingMAC)).
		// Namespaces: metadata only (the annotation is all the policy reads), so that
		// their spec and status are never cached.
		Watches(&corev1.Namespace{}, r.policyChanges(), builder.OnlyMetadata).
		WithEventFilter(r.Shard.Predicate()).
		WatchesRawSource(r.Shard.Entered(r.basesIn)).
		Complete(r)
}

// ownersFromStatus is the slot table as status last reported it: the fallback record
// when the stored document is gone or unreadable.
func ownersFromStatus(base *dectv1alpha1.DectBase) []string {
	owners := make([]string, gigaset.NumSlots)
	for _, s := range base.Status.Slots {
		if s.Slot >= 0 && int(s.Slot) < len(owners) {
			owners[s.Slot] = s.Handset
		}
	}
	return owners
}
