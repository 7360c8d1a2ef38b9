package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

// ownerFixture is the real base a/office with its file, plus what a test adds.
type ownerFixture struct {
	t     *testing.T
	c     client.Client
	src   *Source
	store *provserver.Store
	logs  *strings.Builder
}

func newOwnerFixture(t *testing.T, extra ...client.Object) *ownerFixture {
	t.Helper()
	cm, sec := file("a", "office", "<real/>", "<real-cred/>", time.Unix(100, 0), "1")
	objs := append([]client.Object{dectBase("a", "office", time.Unix(100, 0)), cm, sec}, extra...)
	c := fakeCache().WithObjects(objs...).Build()
	var mu sync.Mutex
	logs := &strings.Builder{}
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(logs, prefix, args)
	}, funcr.Options{})
	store := provserver.NewStore()
	f := &ownerFixture{t: t, c: c, src: NewSource(c, StoreSink(store), log), store: store, logs: logs}
	f.src.rebuild(context.Background())
	return f
}

// served returns the body served for mac, "" when none.
func (f *ownerFixture) served() string {
	e, ok := f.store.Lookup(mac)
	if !ok {
		return ""
	}
	return string(e.Body)
}

func (f *ownerFixture) refused(kind, reason string) float64 {
	return testutil.ToFloat64(f.src.Refused.WithLabelValues(kind, reason))
}

// wantRealServed checks that the device still gets a/office's file, credentials joined.
func (f *ownerFixture) wantRealServed() {
	f.t.Helper()
	if got, want := f.served(), "<Provider><real/><real-cred/>\n</Provider>"; got != want {
		f.t.Fatalf("served %q, want the real file %q", got, want)
	}
	if e, _ := f.store.Lookup(mac); e.Namespace != "a" || e.Base != "office" {
		f.t.Fatalf("served for %s/%s, want a/office", e.Namespace, e.Base)
	}
}

// wantRefused checks the counter of kind/reason and that the log names the object.
func (f *ownerFixture) wantRefused(kind, reason, ns, name string) {
	f.t.Helper()
	if got := f.refused(kind, reason); got != 1 {
		f.t.Errorf("dect_provisioning_files_refused_total{kind=%q,reason=%q} = %v, want 1", kind, reason, got)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"namespace"="`+ns+`"`) || !strings.Contains(logs, `"name"="`+name+`"`) ||
		!strings.Contains(logs, `"reason"="`+reason+`"`) {
		f.t.Errorf("no log line names %s %s/%s (%s):\n%s", kind, ns, name, reason, logs)
	}
	if strings.Contains(logs, "<evil") || strings.Contains(logs, "<real") {
		f.t.Errorf("the log holds a refused object's content:\n%s", logs)
	}
}

func TestForgedConfigMapInAnotherNamespaceIsRefused(t *testing.T) {
	for _, annotated := range []bool{true, false} {
		t.Run(fmt.Sprintf("base-created=%t", annotated), func(t *testing.T) {
			// The attacker's file claims to be older than every base, or carries no
			// creation time at all (which once parsed as year 1, the oldest claim).
			cm, sec := unowned("evil", "office", "<evil-doc/>", "<evil-cred/>", time.Unix(1, 0), "9")
			if !annotated {
				delete(cm.Annotations, provfile.AnnotationBaseCreated)
			}
			f := newOwnerFixture(t, cm, sec)
			f.wantRealServed()
			f.wantRefused("ConfigMap", RefusedNoOwner, "evil", cm.Name)
			f.wantRefused("Secret", RefusedNoOwner, "evil", sec.Name)
		})
	}
}

func TestForgedConfigMapNamingTheRealOwnerFromAnotherNamespaceIsRefused(t *testing.T) {
	for _, annotated := range []bool{true, false} {
		t.Run(fmt.Sprintf("base-created=%t", annotated), func(t *testing.T) {
			// Owner references are namespaced: one naming a/office's name and UID from
			// another namespace names a base that does not exist there.
			cm, sec := unowned("evil", "office", "<evil-doc/>", "<evil-cred/>", time.Unix(1, 0), "9")
			if !annotated {
				delete(cm.Annotations, provfile.AnnotationBaseCreated)
			}
			ownedBy(cm, "office", baseUID("a", "office"))
			ownedBy(sec, "office", baseUID("a", "office"))
			f := newOwnerFixture(t, cm, sec)
			f.wantRealServed()
			f.wantRefused("ConfigMap", RefusedOwnerMissing, "evil", cm.Name)
			f.wantRefused("Secret", RefusedOwnerMissing, "evil", sec.Name)
		})
	}
}

func TestUnownedConfigMapInTheBasesNamespaceIsRefused(t *testing.T) {
	cm, _ := unowned("a", "rogue", "<evil-doc/>", "", time.Unix(1, 0), "9")
	f := newOwnerFixture(t, cm)
	f.wantRealServed()
	f.wantRefused("ConfigMap", RefusedNoOwner, "a", cm.Name)
}

func TestConfigMapOwnedByTheBaseUnderAnotherNameIsRefused(t *testing.T) {
	// Owned by the real base (someone with edit rights copied the reference) but not
	// the object the manager writes.
	cm, _ := unowned("a", "rogue", "<evil-doc/>", "", time.Unix(1, 0), "9")
	ownedBy(cm, "office", baseUID("a", "office"))
	f := newOwnerFixture(t, cm)
	f.wantRealServed()
	f.wantRefused("ConfigMap", RefusedName, "a", cm.Name)
}

func TestFileOwnedByADeletedBaseOfTheSameNameIsRefused(t *testing.T) {
	// b/desk was deleted and created again: its old file names the old UID.
	recreated := dectBase("b", "desk", time.Unix(300, 0))
	recreated.Spec.MACAddress = "7C2F80000001"
	cm, sec := unowned("b", "desk", "<old/>", "<old-cred/>", time.Unix(50, 0), "4")
	cm.BinaryData = map[string][]byte{provfile.FileKey("7C2F80000001"): []byte("<Provider><old/></Provider>")}
	ownedBy(cm, "desk", "uid-of-the-deleted-desk")
	ownedBy(sec, "desk", "uid-of-the-deleted-desk")
	f := newOwnerFixture(t, recreated, cm, sec)
	f.wantRealServed()
	if _, ok := f.store.Lookup("7C2F80000001"); ok {
		t.Error("the deleted base's file is served")
	}
	f.wantRefused("ConfigMap", RefusedOwnerUID, "b", cm.Name)
	f.wantRefused("Secret", RefusedOwnerUID, "b", sec.Name)
}

func TestFileNotNamedAfterTheBasesMACIsRefused(t *testing.T) {
	// b/desk declares another MAC; its (owned) file is named after a/office's device.
	desk := dectBase("b", "desk", time.Unix(50, 0))
	desk.Spec.MACAddress = "7C2F80000001"
	cm, sec := file("b", "desk", "<evil-doc/>", "<evil-cred/>", time.Unix(50, 0), "1")
	f := newOwnerFixture(t, desk, cm, sec)
	f.wantRealServed()
	f.wantRefused("ConfigMap", RefusedKey, "b", cm.Name)
	if _, ok := f.store.Lookup("7C2F80000001"); ok {
		t.Error("a file is served for desk's MAC, which has none")
	}
}

func TestFileOfABaseThatDoesNotHoldItsMACIsRefused(t *testing.T) {
	// b/late declares office's MAC after it: its file is refused, even though it claims
	// an older creation time and is properly owned.
	late := dectBase("b", "late", time.Unix(200, 0))
	cm, sec := file("b", "late", "<evil-doc/>", "<evil-cred/>", time.Unix(1, 0), "1")
	f := newOwnerFixture(t, late, cm, sec)
	f.wantRealServed()
	f.wantRefused("ConfigMap", RefusedNotHolder, "b", cm.Name)
}

func TestUnownedSecretIsRefused(t *testing.T) {
	// A Secret of office's name in another namespace, and a stray labelled one in a.
	_, foreign := unowned("evil", "office", "", "<evil-cred/>", time.Unix(1, 0), "1")
	_, stray := unowned("a", "stray", "", "<evil-cred/>", time.Unix(1, 0), "1")
	f := newOwnerFixture(t, foreign, stray)
	f.wantRealServed()
	if got := f.refused("Secret", RefusedNoOwner); got != 2 {
		t.Errorf("refused Secrets: %v, want 2", got)
	}

	// office's own Secret, unowned: the document is served alone, its credentials not.
	f2 := newOwnerFixture(t)
	sec := &corev1.Secret{}
	if err := f2.c.Get(context.Background(), client.ObjectKey{Namespace: "a", Name: provfile.SecretName("office")}, sec); err != nil {
		t.Fatal(err)
	}
	sec.OwnerReferences = nil
	if err := f2.c.Update(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	f2.src.rebuild(context.Background())
	if got := f2.served(); got != "<Provider><real/></Provider>" {
		t.Errorf("served %q, want the document without the unowned credentials", got)
	}
	f2.wantRefused("Secret", RefusedNoOwner, "a", sec.Name)
}

func TestRefusalCountedAndLoggedOncePerObjectVersion(t *testing.T) {
	cm, _ := unowned("evil", "office", "<evil-doc/>", "", time.Unix(1, 0), "9")
	f := newOwnerFixture(t, cm)
	f.src.rebuild(context.Background())
	f.src.rebuild(context.Background())
	if got := f.refused("ConfigMap", RefusedNoOwner); got != 1 {
		t.Fatalf("counted %v after three rebuilds of one version, want 1", got)
	}
	if n := strings.Count(f.logs.String(), "refusing"); n != 1 {
		t.Fatalf("%d log lines for one version, want 1", n)
	}
	cur := &corev1.ConfigMap{}
	if err := f.c.Get(context.Background(), client.ObjectKeyFromObject(cm), cur); err != nil {
		t.Fatal(err)
	}
	cur.Annotations["touched"] = "yes"
	if err := f.c.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	f.src.rebuild(context.Background())
	if got := f.refused("ConfigMap", RefusedNoOwner); got != 2 {
		t.Fatalf("counted %v after a new version, want 2", got)
	}
	f.wantRealServed()
}

func TestDeletingTheHolderHandsTheMACToTheNextBase(t *testing.T) {
	// b/late's file is refused while a/office holds the MAC; once office is gone, late
	// holds it (the manager then writes late's file) and it is served.
	late := dectBase("b", "late", time.Unix(200, 0))
	cm, sec := file("b", "late", "<late/>", "", time.Unix(200, 0), "1")
	f := newOwnerFixture(t, late, cm, sec)
	f.wantRealServed()
	if err := f.c.Delete(context.Background(), dectBase("a", "office", time.Unix(100, 0))); err != nil {
		t.Fatal(err)
	}
	f.src.rebuild(context.Background())
	if got := f.served(); got != "<Provider><late/></Provider>" {
		t.Fatalf("served %q, want late's file", got)
	}
}
