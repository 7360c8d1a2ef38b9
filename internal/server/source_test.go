package server

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/provserver"
	opscheme "github.com/dect-operator/dect-operator/internal/scheme"
)

const mac = "7C2F80CA21E4"

// dectBase is the DectBase that file's objects belong to, declaring mac.
func dectBase(ns, name string, created time.Time) *dectv1alpha1.DectBase {
	return &dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: baseUID(ns, name), CreationTimestamp: metav1.NewTime(created)},
		Spec:       dectv1alpha1.DectBaseSpec{MACAddress: "7c:2f:80:ca:21:e4"},
	}
}

func baseUID(ns, name string) types.UID { return types.UID("uid-" + ns + "-" + name) }

// ownedBy makes obj controller-owned by the DectBase ns/name with that UID, as the
// manager does.
func ownedBy(obj metav1.Object, name string, uid types.UID) {
	obj.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion: dectv1alpha1.GroupVersion.String(), Kind: "DectBase", Name: name, UID: uid,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}})
}

// file returns the ConfigMap and Secret the reconciler would write for base (owned by
// the DectBase dectBase returns).
func file(ns, base, doc, creds string, created time.Time, gen string) (*corev1.ConfigMap, *corev1.Secret) {
	cm, sec := unowned(ns, base, doc, creds, created, gen)
	ownedBy(cm, base, baseUID(ns, base))
	ownedBy(sec, base, baseUID(ns, base))
	return cm, sec
}

// unowned returns base's ConfigMap and Secret without owner references.
func unowned(ns, base, doc, creds string, created time.Time, gen string) (*corev1.ConfigMap, *corev1.Secret) {
	labels := map[string]string{provfile.LabelFile: "true", provfile.LabelBase: base}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: provfile.ConfigMapName(base), Labels: labels, Annotations: map[string]string{
			provfile.AnnotationBaseCreated: created.Format(time.RFC3339),
			provfile.AnnotationGeneration:  gen,
			provfile.AnnotationHash:        "status-hash-" + base + "-" + gen,
		}},
		BinaryData: map[string][]byte{provfile.FileKey(mac): []byte("<Provider>" + doc + "</Provider>")},
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: provfile.SecretName(base), Labels: labels},
		Data:       map[string][]byte{provfile.FileKey(mac): []byte(creds), provfile.KeyMACID: []byte(mac + "-1234")},
	}
	return cm, sec
}

func newSource(t *testing.T, objs ...client.Object) (*Source, *provserver.Store) {
	t.Helper()
	c := fakeCache().WithObjects(objs...).Build()
	store := provserver.NewStore()
	src := NewSource(c, StoreSink(store), logr.Discard())
	src.rebuild(context.Background())
	return src, store
}

func TestSourceJoinsDocumentAndCredentials(t *testing.T) {
	cm, sec := file("a", "office", "<doc/>", "<cred/>", time.Unix(100, 0), "3")
	src, store := newSource(t, dectBase("a", "office", time.Unix(100, 0)), cm, sec)
	e, ok := store.Lookup(mac)
	if !ok {
		t.Fatal("nothing served")
	}
	if got := string(e.Body); got != "<Provider><doc/><cred/>\n</Provider>" {
		t.Errorf("body %q", got)
	}
	if e.Auth.MACID != mac+"-1234" || e.Namespace != "a" || e.Base != "office" {
		t.Errorf("entry %v", e)
	}
	d := provserver.Delivery{Namespace: "a", Base: "office", MAC: mac, Hash: e.Hash}
	hash, gen, ok := src.Lookup(d)
	if !ok || hash != "status-hash-office-3" || gen != 3 {
		t.Errorf("Lookup = %q %d %t", hash, gen, ok)
	}
	// A delivery is recorded only for the file that is current, on the base that holds
	// the MAC: never one base's fetch on another base's status.
	for name, change := range map[string]func(*provserver.Delivery){
		"an older file":  func(d *provserver.Delivery) { d.Hash = "0" + d.Hash[1:] },
		"another base":   func(d *provserver.Delivery) { d.Base = "lobby" },
		"another ns":     func(d *provserver.Delivery) { d.Namespace = "b" },
		"an unknown MAC": func(d *provserver.Delivery) { d.MAC = "7C2F80000001" },
	} {
		other := d
		change(&other)
		if _, _, ok := src.Lookup(other); ok {
			t.Errorf("Lookup of a delivery of %s: ok", name)
		}
	}
	if !src.Synced() {
		t.Error("not synced after a rebuild")
	}
}

func TestSourceServesTheOlderClaimOfAMAC(t *testing.T) {
	olderCM, olderSec := file("a", "first", "<older/>", "", time.Unix(100, 0), "1")
	newerCM, newerSec := file("b", "second", "<newer/>", "", time.Unix(200, 0), "1")
	_, store := newSource(t, dectBase("a", "first", time.Unix(100, 0)), dectBase("b", "second", time.Unix(200, 0)),
		newerCM, newerSec, olderCM, olderSec)
	e, _ := store.Lookup(mac)
	if e.Namespace != "a" || string(e.Body) != "<Provider><older/></Provider>" {
		t.Errorf("served %s/%s %q, want the older claim a/first", e.Namespace, e.Base, e.Body)
	}
}

func TestSourceWithoutSecretServesTheDocumentAlone(t *testing.T) {
	cm, _ := file("a", "office", "<doc/>", "", time.Unix(100, 0), "1")
	_, store := newSource(t, dectBase("a", "office", time.Unix(100, 0)), cm)
	e, ok := store.Lookup(mac)
	if !ok || string(e.Body) != "<Provider><doc/></Provider>" || e.Auth.Enabled() {
		t.Errorf("entry %v ok=%t", e, ok)
	}
}

func TestRecorderWritesAtMostOncePerIntervalUnlessTheFileChanged(t *testing.T) {
	cm, sec := file("a", "office", "<doc/>", "", time.Unix(100, 0), "1")
	var mu sync.Mutex
	applies := 0
	c, src, store, rec := recorderFixture(func() {
		mu.Lock()
		defer mu.Unlock()
		applies++
	}, dectBase("a", "office", time.Unix(100, 0)), cm, sec)
	e, _ := store.Lookup(mac)

	t0 := time.Unix(1000, 0)
	d := provserver.Delivery{Namespace: "a", Base: "office", MAC: mac, Source: netip.MustParseAddr("192.0.2.1"), Hash: e.Hash}
	for i := range 60 { // a device polling every second for a minute
		d.Time = t0.Add(time.Duration(i) * time.Second)
		rec.write(context.Background(), d)
	}
	if applies != 1 {
		t.Fatalf("%d writes for a minute of polling, want 1", applies)
	}
	d.Time = t0.Add(61 * time.Second)
	rec.write(context.Background(), d)
	if applies != 2 {
		t.Fatalf("%d writes after the interval, want 2", applies)
	}

	// A new file is recorded at once.
	cm2, _ := file("a", "office", "<changed/>", "", time.Unix(100, 0), "2")
	cur := &corev1.ConfigMap{}
	_ = c.Get(context.Background(), client.ObjectKeyFromObject(cm), cur)
	cur.BinaryData, cur.Annotations = cm2.BinaryData, cm2.Annotations
	if err := c.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	src.rebuild(context.Background())
	e2, _ := store.Lookup(mac)
	d.Hash, d.Time = e2.Hash, t0.Add(62*time.Second)
	rec.write(context.Background(), d)
	if applies != 3 {
		t.Fatalf("%d writes after the file changed, want 3", applies)
	}

	// A delivery of a file that is no longer current is not recorded.
	d.Hash = e.Hash
	rec.write(context.Background(), d)
	if applies != 3 {
		t.Fatalf("a stale delivery was recorded")
	}
}

// recordingSink records what a Source does to its Sink, one line per call.
type recordingSink struct{ calls []string }

func (r *recordingSink) Set(e provserver.Entry) error {
	r.calls = append(r.calls, "set "+e.MAC+" "+string(e.Body))
	return nil
}
func (r *recordingSink) Delete(mac string) { r.calls = append(r.calls, "delete "+mac) }
func (r *recordingSink) Commit()           { r.calls = append(r.calls, "commit") }

// Each rebuild passes only what changed, and ends with one Commit, also when nothing
// changed (the first one ends the load).
func TestSourceCommitsEachRebuild(t *testing.T) {
	ctx := context.Background()
	cm, sec := file("a", "office", "<doc/>", "", time.Unix(100, 0), "1")
	c := fakeCache().WithObjects(dectBase("a", "office", time.Unix(100, 0)), cm, sec).Build()
	sink := &recordingSink{}
	src := NewSource(c, sink, logr.Discard())
	steps := []struct {
		name   string
		change func()
		want   []string
	}{
		{"load", func() {}, []string{"set " + mac + " <Provider><doc/></Provider>", "commit"}},
		{"nothing changed", func() {}, []string{"commit"}},
		{"the file changed", func() {
			cur := &corev1.ConfigMap{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(cm), cur); err != nil {
				t.Fatal(err)
			}
			cur.BinaryData[provfile.FileKey(mac)] = []byte("<Provider><new/></Provider>")
			cur.Annotations[provfile.AnnotationGeneration] = "2"
			if err := c.Update(ctx, cur); err != nil {
				t.Fatal(err)
			}
		}, []string{"set " + mac + " <Provider><new/></Provider>", "commit"}},
		{"the base is gone", func() {
			if err := c.Delete(ctx, dectBase("a", "office", time.Unix(100, 0))); err != nil {
				t.Fatal(err)
			}
		}, []string{"delete " + mac, "commit"}},
	}
	for _, step := range steps {
		sink.calls = nil
		step.change()
		src.rebuild(ctx)
		if !slices.Equal(sink.calls, step.want) {
			t.Errorf("%s: the Sink got %q, want %q", step.name, sink.calls, step.want)
		}
	}
}

// Attach's filter: the changes that can change what a Source builds rebuild, the
// manager's other Secrets and the DectBases' status writes do not.
func TestSourceWatchesOnlyWhatItBuildsFrom(t *testing.T) {
	labelled := map[string]string{provfile.LabelFile: "true"}
	base := dectBase("a", "office", time.Unix(100, 0))
	withStatus := base.DeepCopy()
	withStatus.Status.ObservedGeneration = 7
	otherMAC := base.DeepCopy()
	otherMAC.Spec.MACAddress = "7C2F80000001"
	deleting := base.DeepCopy()
	deleting.DeletionTimestamp = ptr.To(metav1.Now())
	tests := []struct {
		name    string
		old, o  any // old nil: an add
		rebuild bool
	}{
		{"a labelled ConfigMap", nil, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: labelled}}, true},
		{"a labelled Secret", nil, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: labelled}}, true},
		{"a handset's password Secret", nil, &corev1.Secret{}, false},
		{"a Secret losing the label", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: labelled}}, &corev1.Secret{}, true},
		{"a Secret updated without the label", &corev1.Secret{}, &corev1.Secret{Data: map[string][]byte{"k": nil}}, false},
		{"a DectBase", nil, base, true},
		{"a DectBase's status", base, withStatus, false},
		{"a DectBase's MAC", base, otherMAC, true},
		{"a DectBase being deleted", base, deleting, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rebuilds(tc.old, tc.o); got != tc.rebuild {
				t.Errorf("rebuilds: %t, want %t", got, tc.rebuild)
			}
		})
	}
}

// recorderFixture is a Source over objs, built once, and its Recorder, whose status
// writes succeed and call applied.
func recorderFixture(applied func(), objs ...client.Object) (client.Client, *Source, *provserver.Store, *Recorder) {
	c := fakeCache().WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
		SubResourceApply: func(context.Context, client.Client, string, runtime.ApplyConfiguration, ...client.SubResourceApplyOption) error {
			applied()
			return nil
		},
	}).Build()
	store := provserver.NewStore()
	src := NewSource(c, StoreSink(store), logr.Discard())
	src.rebuild(context.Background())
	return c, src, store, NewRecorder(c, src, logr.Discard())
}

// A base whose file is no longer published takes its last delivery record along: the
// Recorder's memory follows the bases that exist, not every base it ever recorded.
func TestRecorderForgetsADeletedBase(t *testing.T) {
	base := dectBase("a", "office", time.Unix(100, 0))
	cm, sec := file("a", "office", "<doc/>", "", time.Unix(100, 0), "1")
	c, src, store, rec := recorderFixture(func() {}, base, cm, sec)
	e, _ := store.Lookup(mac)
	rec.write(context.Background(), provserver.Delivery{Namespace: "a", Base: "office", MAC: mac,
		Time: time.Unix(1000, 0), Source: netip.MustParseAddr("192.0.2.1"), Hash: e.Hash})
	records := func() int {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.written)
	}
	if records() != 1 {
		t.Fatalf("%d delivery records after one delivery, want 1", records())
	}
	src.rebuild(context.Background()) // nothing changed: the record stays
	if records() != 1 {
		t.Fatalf("a rebuild that changed nothing dropped the record")
	}
	if err := c.Delete(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	src.rebuild(context.Background())
	if records() != 0 {
		t.Errorf("%d delivery records after the base was deleted, want 0", records())
	}
}

// fakeCache is a fake client with the index a Source's Reader must have (IndexFiles).
func fakeCache() *fake.ClientBuilder {
	return fake.NewClientBuilder().WithScheme(opscheme.New()).
		WithIndex(&corev1.ConfigMap{}, IndexFile, fileLabel).
		WithIndex(&corev1.Secret{}, IndexFile, fileLabel)
}
