package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/scheme"
)

func TestHandsetCreationWakesTheHandsetReconcilerOnlyWithoutItsBase(t *testing.T) {
	base := &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Namespace: "site", Name: "hq"}}
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(base).Build()
	p := (&HandsetReconciler{DectBaseReconciler: &DectBaseReconciler{Client: c}}).createdWithoutBase()
	handset := func(ns, base string) *dectv1alpha1.Handset {
		return &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alice"},
			Spec: dectv1alpha1.HandsetSpec{BaseRef: dectv1alpha1.LocalObjectReference{Name: base}}}
	}
	for _, tc := range []struct {
		name     string
		ns, base string
		want     bool
	}{
		{"its base exists: the base's reconciler reports it", "site", "hq", false},
		{"its base is missing", "site", "annex", true},
		{"a base of that name in another namespace only", "branch", "hq", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Create(event.CreateEvent{Object: handset(tc.ns, tc.base)}); got != tc.want {
				t.Errorf("created in %s for base %q: let through %v, want %v", tc.ns, tc.base, got, tc.want)
			}
		})
	}
	// Only the creation is filtered: a changed Handset (its base ref, say) still goes on
	// to the other predicates, whatever its base.
	h := handset("site", "hq")
	if !p.Update(event.UpdateEvent{ObjectOld: h, ObjectNew: h}) || !p.Delete(event.DeleteEvent{Object: h}) {
		t.Error("an update or deletion of a Handset whose base exists was filtered out")
	}
}
