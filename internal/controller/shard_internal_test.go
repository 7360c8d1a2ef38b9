package controller

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/fakeclock"
	"github.com/dect-operator/dect-operator/internal/scheme"
	"github.com/dect-operator/dect-operator/internal/shard"
)

const shardLabel = "provisioning.dect-operator.dev/shard"

// shardFixture is shard "a" of a cluster whose namespaces are: mine (selected since the
// shard started), theirs (shard b's), incoming (relabelled to a while the shard ran,
// handover under way), moved (relabelled to a, handover done), leaving (relabelled to
// b, the handler not told yet) and arriving (relabelled to a, the handler not told
// yet). unknown does not exist.
type shardFixture struct {
	s     *Shard
	c     ctrl.Client
	clock *fakeclock.Clock
}

func newShardFixture(t *testing.T) *shardFixture {
	t.Helper()
	ns := func(name, shardName string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{shardLabel: shardName}}}
	}
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithObjects(ns("mine", "a"), ns("theirs", "b"), ns("incoming", "a"), ns("moved", "a"), ns("leaving", "b"), ns("arriving", "a")).
		WithStatusSubresource(&dectv1alpha1.DectBase{}).
		Build()
	sel, err := shard.ParseSelector(shardLabel + "=a")
	if err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	s := &Shard{policy: shard.Policy{Selector: sel, HandoverDelay: 10 * time.Second}, cache: c, now: clock.Now,
		seen: map[string]shard.Sighting{
			"mine":     {Selected: true},
			"theirs":   {},
			"incoming": {Selected: true, Since: clock.Now().Add(-4 * time.Second)},
			"moved":    {Selected: true, Since: clock.Now().Add(-time.Minute)},
			"leaving":  {Selected: true},
			"arriving": {},
		}}
	return &shardFixture{s: s, c: c, clock: clock}
}

func TestShardGuardsWrites(t *testing.T) {
	ctx := context.Background()
	f := newShardFixture(t)
	g := f.s.Guard(f.c)
	cm := func(ns string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "office-provisioning"}}
	}
	base := func(ns string) *dectv1alpha1.DectBase {
		return &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "office"}, Spec: dectv1alpha1.DectBaseSpec{MACAddress: "7C2F80CA21E4"}}
	}
	writes := []struct {
		name  string
		write func(ns string) error
	}{
		{"Create", func(ns string) error { return g.Create(ctx, cm(ns)) }},
		{"Update", func(ns string) error { return g.Update(ctx, cm(ns)) }},
		{"Patch", func(ns string) error {
			return g.Patch(ctx, cm(ns), ctrl.RawPatch(types.MergePatchType, []byte(`{"data":{"a":"b"}}`)))
		}},
		{"Status().Patch", func(ns string) error {
			return g.Status().Patch(ctx, base(ns), ctrl.RawPatch(types.MergePatchType, []byte(`{"status":{"observedGeneration":1}}`)))
		}},
		{"Status().Update", func(ns string) error { return g.Status().Update(ctx, base(ns)) }},
		{"SubResource(status).Update", func(ns string) error { return g.SubResource("status").Update(ctx, base(ns)) }},
		{"DeleteAllOf", func(ns string) error { return g.DeleteAllOf(ctx, &corev1.ConfigMap{}, ctrl.InNamespace(ns)) }},
		{"Delete", func(ns string) error { return g.Delete(ctx, cm(ns)) }},
		{"Apply", func(ns string) error {
			return g.Apply(ctx, corev1ac.ConfigMap("office-provisioning", ns), ctrl.FieldOwner("test"), ctrl.ForceOwnership)
		}},
	}
	for _, tc := range []struct {
		ns    string
		owned bool
	}{
		{"mine", true}, {"moved", true},
		{"theirs", false}, {"incoming", false}, {"leaving", false}, {"arriving", false}, {"unknown", false},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			if tc.owned {
				// The objects the updates need; written around the guard.
				if err := f.c.Create(ctx, base(tc.ns)); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range writes {
				err := w.write(tc.ns)
				refused := errors.Is(err, errNotOwned)
				if refused == tc.owned {
					t.Errorf("%s in %s: %v; want refused=%v", w.name, tc.ns, err, !tc.owned)
				}
				if refused != f.s.Lost(err) {
					t.Errorf("%s in %s: Lost(%v) = %v", w.name, tc.ns, err, f.s.Lost(err))
				}
				if w.name != "Create" {
					continue
				}
				// What passes the guard reaches the API server (errors there are not
				// the guard's): the ConfigMap was created.
				err = f.c.Get(ctx, types.NamespacedName{Namespace: tc.ns, Name: "office-provisioning"}, &corev1.ConfigMap{})
				if created := err == nil; created != tc.owned {
					t.Errorf("the ConfigMap in %s created: %v (%v)", tc.ns, created, err)
				}
			}
		})
	}
	// Outside any namespace: a cluster-scoped object, a delete across namespaces that
	// would reach other shards' objects.
	if err := g.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "new"}}); !errors.Is(err, errNotOwned) {
		t.Errorf("creating a Namespace: %v, want refused", err)
	}
	if err := g.DeleteAllOf(ctx, &corev1.ConfigMap{}); !errors.Is(err, errNotOwned) {
		t.Errorf("DeleteAllOf in every namespace: %v, want refused", err)
	}
	// An apply configuration without a namespace is refused, not guessed.
	if err := g.Apply(ctx, corev1ac.ConfigMap("x", ""), ctrl.FieldOwner("test")); !errors.Is(err, errNotOwned) {
		t.Errorf("Apply without namespace: %v, want refused", err)
	}
	// Reads pass everywhere.
	var list corev1.ConfigMapList
	if err := g.List(ctx, &list, ctrl.InNamespace("theirs")); err != nil {
		t.Errorf("listing in another shard's namespace: %v", err)
	}
}

func TestShardSkip(t *testing.T) {
	f := newShardFixture(t)
	for _, tc := range []struct {
		ns   string
		skip bool
		want time.Duration
	}{
		{"mine", false, 0}, {"moved", false, 0},
		{"theirs", true, 0}, {"leaving", true, 0}, {"arriving", true, 0}, {"unknown", true, 0},
		{"incoming", true, 6 * time.Second},
	} {
		res, skip := f.s.Skip(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: tc.ns, Name: "office"}})
		if skip != tc.skip || res.RequeueAfter != tc.want {
			t.Errorf("%s: Skip = %+v, %v; want requeue after %v, %v", tc.ns, res, skip, tc.want, tc.skip)
		}
	}
	// Six seconds on, the handover is over.
	f.clock.Advance(6 * time.Second)
	if _, skip := f.s.Skip(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "incoming"}}); skip {
		t.Error("incoming is still skipped at the end of its handover")
	}
	// Without sharding, nothing is skipped.
	var none *Shard
	if _, skip := none.Skip(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "theirs"}}); skip {
		t.Error("no Shard skips a request")
	}
}

func TestShardPredicate(t *testing.T) {
	f := newShardFixture(t)
	p := f.s.Predicate()
	for _, tc := range []struct {
		name string
		obj  ctrl.Object
		pass bool
	}{
		{"a handset of the shard", &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: "mine"}}, true},
		{"a secret during its handover", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "incoming"}}, true},
		{"a handset of another shard", &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: "theirs"}}, false},
		{"a config map of a namespace leaving", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "leaving"}}, false},
		{"a handset of no namespace known", &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: "unknown"}}, false},
		// A base elsewhere may share a MAC with one here.
		{"a base of another shard", &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Namespace: "theirs"}}, true},
		{"a namespace of another shard", &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "theirs"}}, true},
	} {
		if got := p.Update(event.UpdateEvent{ObjectOld: tc.obj, ObjectNew: tc.obj}); got != tc.pass {
			t.Errorf("%s: passes %v, want %v", tc.name, got, tc.pass)
		}
	}
}

// TestShardObserve feeds the namespace handler what the watch would, and checks which
// namespaces the controllers are told joined the shard.
func TestShardObserve(t *testing.T) {
	f := newShardFixture(t)
	f.s.seen = map[string]shard.Sighting{} // a shard starting
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	if err := f.s.Entered(func(_ context.Context, ns string) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: "office"}}}
	}).Start(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	ns := func(name, shardName string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{shardLabel: shardName}}}
	}
	for _, step := range []struct {
		name    string
		obj     *metav1.PartialObjectMetadata
		joined  bool
		owned   bool // from the first sight, without handover
		deleted bool
	}{
		{"first sight, selected", ns("one", "a"), true, true, false},
		{"first sight, another shard's", ns("two", "b"), false, false, false},
		{"an update of a selected one", ns("one", "a"), false, true, false},
		{"relabelled here", ns("two", "a"), true, false, false},
		{"relabelled here, updated again", ns("two", "a"), false, false, false},
		{"relabelled away", ns("one", "b"), false, false, false},
		{"deleted", ns("two", "a"), false, false, true},
		{"created again, selected", ns("two", "a"), true, true, false},
	} {
		if step.deleted {
			f.s.forget(toolscache.DeletedFinalStateUnknown{Key: step.obj.Name, Obj: step.obj})
		} else {
			f.s.observe(step.obj)
		}
		var got []string
		for q.Len() > 0 {
			req, _ := q.Get()
			got = append(got, req.Namespace)
			q.Done(req)
		}
		if want := step.joined; want != slices.Contains(got, step.obj.Name) || len(got) > 1 {
			t.Errorf("%s: enqueued %v, want %s: %v", step.name, got, step.obj.Name, want)
		}
		if seen := f.s.seen[step.obj.Name]; step.owned != (seen.Selected && seen.Since.IsZero()) {
			t.Errorf("%s: seen as %+v, want owned from the first sight: %v", step.name, seen, step.owned)
		}
		f.clock.Advance(time.Second)
	}
	d, err := f.s.decide(context.Background(), "one")
	if err != nil || d.Owned {
		t.Errorf("one, relabelled away: %+v, %v", d, err)
	}
}

func TestShardGuardsEvents(t *testing.T) {
	f := newShardFixture(t)
	rec := events.NewFakeRecorder(10)
	g := f.s.GuardEvents(rec)
	for _, ns := range []string{"mine", "theirs", "incoming", "moved"} {
		g.Eventf(&dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "office"}}, nil, corev1.EventTypeNormal, "Rendered", "Reconcile", "in %s", ns)
	}
	close(rec.Events)
	var got []string
	for e := range rec.Events {
		got = append(got, e)
	}
	want := []string{"Normal Rendered in mine", "Normal Rendered in moved"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}
