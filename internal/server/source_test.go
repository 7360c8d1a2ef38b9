package server

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

const mac = "7C2F80CA21E4"

// file returns the ConfigMap and Secret the reconciler would write for base.
func file(ns, base, doc, creds string, created time.Time, gen string) (*corev1.ConfigMap, *corev1.Secret) {
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
	scheme := runtime.NewScheme()
	_ = corev1.AddToScheme(scheme)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	store := provserver.NewStore()
	src := NewSource(c, store, logr.Discard())
	src.rebuild(context.Background())
	return src, store
}

func TestSourceJoinsDocumentAndCredentials(t *testing.T) {
	cm, sec := file("a", "office", "<doc/>", "<cred/>", time.Unix(100, 0), "3")
	src, store := newSource(t, cm, sec)
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
	hash, gen, ok := src.Lookup(mac, e.Hash)
	if !ok || hash != "status-hash-office-3" || gen != 3 {
		t.Errorf("Lookup = %q %d %t", hash, gen, ok)
	}
	if !src.Synced() {
		t.Error("not synced after a rebuild")
	}
}

func TestSourceServesTheOlderClaimOfAMAC(t *testing.T) {
	olderCM, olderSec := file("a", "first", "<older/>", "", time.Unix(100, 0), "1")
	newerCM, newerSec := file("b", "second", "<newer/>", "", time.Unix(200, 0), "1")
	_, store := newSource(t, newerCM, newerSec, olderCM, olderSec)
	e, _ := store.Lookup(mac)
	if e.Namespace != "a" || string(e.Body) != "<Provider><older/></Provider>" {
		t.Errorf("served %s/%s %q, want the older claim a/first", e.Namespace, e.Base, e.Body)
	}
}

func TestSourceWithoutSecretServesTheDocumentAlone(t *testing.T) {
	cm, _ := file("a", "office", "<doc/>", "", time.Unix(100, 0), "1")
	_, store := newSource(t, cm)
	e, ok := store.Lookup(mac)
	if !ok || string(e.Body) != "<Provider><doc/></Provider>" || e.Auth.Enabled() {
		t.Errorf("entry %v ok=%t", e, ok)
	}
}

func TestRecorderWritesAtMostOncePerIntervalUnlessTheFileChanged(t *testing.T) {
	cm, sec := file("a", "office", "<doc/>", "", time.Unix(100, 0), "1")
	scheme := runtime.NewScheme()
	_ = corev1.AddToScheme(scheme)
	var mu sync.Mutex
	applies := 0
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm, sec).WithInterceptorFuncs(interceptor.Funcs{
		SubResourceApply: func(ctx context.Context, c client.Client, sub string, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
			mu.Lock()
			defer mu.Unlock()
			applies++
			return nil
		},
	}).Build()
	store := provserver.NewStore()
	src := NewSource(c, store, logr.Discard())
	src.rebuild(context.Background())
	rec := NewRecorder(c, src, logr.Discard())
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
