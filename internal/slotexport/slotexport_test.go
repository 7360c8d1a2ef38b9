package slotexport

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

func TestPins(t *testing.T) {
	slot := func(s int32) *int32 { return &s }
	h := func(ns, name, base string, pinned, held *int32) dectv1alpha1.Handset {
		return dectv1alpha1.Handset{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       dectv1alpha1.HandsetSpec{BaseRef: dectv1alpha1.LocalObjectReference{Name: base}, Slot: pinned},
			Status:     dectv1alpha1.HandsetStatus{Slot: held},
		}
	}
	got := Pins([]dectv1alpha1.Handset{
		h("b", "late", "office", nil, slot(1)),
		h("a", "h3", "office", nil, slot(2)),
		h("a", "h1", "office", nil, slot(0)),
		h("a", "pinned", "office", slot(7), slot(7)), // pinned already: nothing to say
		h("a", "moved", "office", slot(9), slot(5)),  // pin not honoured (yet): the slot it holds
		h("a", "waiting", "office", nil, nil),        // holds no slot
		h("a", "other-base", "lab", nil, slot(0)),
	})
	var names []string
	for _, p := range got {
		names = append(names, p.Metadata.Namespace+"/"+p.Metadata.Name+"="+string(rune('0'+p.Spec.Slot)))
	}
	want := []string{"a/other-base=0", "a/h1=0", "a/h3=2", "a/moved=5", "b/late=1"}
	if len(names) != len(want) {
		t.Fatalf("pins %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("pin %d: %s, want %s (all: %v)", i, names[i], want[i], names)
		}
	}
	if got[0].APIVersion != dectv1alpha1.GroupVersion.String() || got[0].Kind != "Handset" {
		t.Errorf("pin type %s %s", got[0].APIVersion, got[0].Kind)
	}
}
