package server

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dect-operator/dect-operator/internal/macpolicy"
)

// The attacker is a tenant of namespace evil: it declared the MAC of a's device before
// a did, and writes its own file, which it owns through its own DectBase as the manager
// would. The manager refuses that base when the policy does (and deletes its file); these
// tests show the server refuses such a file too, by the same rule.

func namespaceWith(name string, annotations map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
}

// squatter is evil/squatter, older than a/office, with its properly owned file.
func squatter() []client.Object {
	cm, sec := file("evil", "squatter", "<evil-doc/>", "<evil-cred/>", time.Unix(50, 0), "1")
	return []client.Object{dectBase("evil", "squatter", time.Unix(50, 0)), cm, sec}
}

func TestFirstComeServesTheOlderBaseOfAnyNamespace(t *testing.T) {
	// The default, and what the annotation is for: without it the squatter wins.
	f := newOwnerFixture(t, squatter()...)
	if got := f.served(); got != "<Provider><evil-doc/><evil-cred/>\n</Provider>" {
		t.Fatalf("served %q, want the older base's file", got)
	}
	f.wantRefused("ConfigMap", RefusedNotHolder, "a", "office-provisioning")
}

func TestAReservedMACIsServedOnlyForItsNamespace(t *testing.T) {
	for _, list := range []string{mac, "7c:2f:80:ca:21:e4", "7C2F80*", "7C2F80*, AA*"} {
		t.Run(list, func(t *testing.T) {
			f := newOwnerFixture(t, append(squatter(), namespaceWith("a", map[string]string{macpolicy.Annotation: list}))...)
			f.wantRealServed()
			f.wantRefused("ConfigMap", RefusedNotAllowed, "evil", "squatter-provisioning")
		})
	}
}

func TestAnAnnotationChangeMovesTheMAC(t *testing.T) {
	f := newOwnerFixture(t, append(squatter(), namespaceWith("a", nil))...)
	if e, _ := f.store.Lookup(mac); e.Namespace != "evil" {
		t.Fatalf("served for %s before the annotation, want evil", e.Namespace)
	}
	setAnnotation := func(v *string) {
		t.Helper()
		ns := &corev1.Namespace{}
		if err := f.c.Get(context.Background(), client.ObjectKey{Name: "a"}, ns); err != nil {
			t.Fatal(err)
		}
		if v == nil {
			delete(ns.Annotations, macpolicy.Annotation)
		} else {
			ns.Annotations = map[string]string{macpolicy.Annotation: *v}
		}
		if err := f.c.Update(context.Background(), ns); err != nil {
			t.Fatal(err)
		}
		f.src.rebuild(context.Background())
	}
	list := mac
	setAnnotation(&list)
	f.wantRealServed()
	setAnnotation(nil)
	if e, _ := f.store.Lookup(mac); e.Namespace != "evil" {
		t.Fatalf("served for %s once the annotation is gone, want evil (first-come again)", e.Namespace)
	}
}

func TestAnAnnotationRestrictsItsOwnNamespace(t *testing.T) {
	f := newOwnerFixture(t, namespaceWith("a", map[string]string{macpolicy.Annotation: "AA*"}))
	if got := f.served(); got != "" {
		t.Fatalf("served %q for a MAC namespace a may not declare", got)
	}
	f.wantRefused("ConfigMap", RefusedNotAllowed, "a", "office-provisioning")
}

func TestAMalformedAnnotationServesNothingOfItsNamespaceNorWhatItReserves(t *testing.T) {
	f := newOwnerFixture(t, append(squatter(), namespaceWith("a", map[string]string{macpolicy.Annotation: mac + ", oops"}))...)
	if got := f.served(); got != "" {
		t.Fatalf("served %q: neither a (malformed annotation) nor evil (a's reservation) may have it", got)
	}
	f.wantBothRefused()
}

// wantBothRefused checks that a's and evil's files were both refused by the policy.
func (f *ownerFixture) wantBothRefused() {
	f.t.Helper()
	if got := f.refused("ConfigMap", RefusedNotAllowed); got != 2 {
		f.t.Errorf("%v ConfigMaps refused as %s, want 2", got, RefusedNotAllowed)
	}
	for _, name := range []string{`"namespace"="a" "name"="office-provisioning"`, `"namespace"="evil" "name"="squatter-provisioning"`} {
		if !strings.Contains(f.logs.String(), name) {
			f.t.Errorf("no log line names %s:\n%s", name, f.logs.String())
		}
	}
}

func TestAllowListServesOnlyListedMACs(t *testing.T) {
	f := newOwnerFixture(t, append(squatter(), namespaceWith("a", nil))...)
	f.src.MACPolicy = macpolicy.AllowList
	f.src.rebuild(context.Background())
	if got := f.served(); got != "" {
		t.Fatalf("allow-list serves %q, though no namespace lists the MAC", got)
	}
	f.wantBothRefused()

	ns := &corev1.Namespace{}
	if err := f.c.Get(context.Background(), client.ObjectKey{Name: "a"}, ns); err != nil {
		t.Fatal(err)
	}
	ns.Annotations = map[string]string{macpolicy.Annotation: "7C:2F:80:CA:21:E4"}
	if err := f.c.Update(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	f.src.rebuild(context.Background())
	f.wantRealServed()
}
