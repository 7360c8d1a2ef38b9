package assemble

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

func TestConsumable(t *testing.T) {
	yes := true
	owner := func(apiVersion, kind, name string, controller bool) []metav1.OwnerReference {
		ref := metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: "u"}
		if controller {
			ref.Controller = &yes
		}
		return []metav1.OwnerReference{ref}
	}
	labelled := map[string]string{dectv1alpha1.LabelConsumable: "true"}
	dectbase := dectv1alpha1.GroupVersion.String()
	for _, tt := range []struct {
		name   string
		labels map[string]string
		owners []metav1.OwnerReference
		ok     bool
		// why must contain these (the fix), when not ok.
		why []string
	}{
		{"labelled", labelled, nil, true, nil},
		{"no label", nil, nil, false, []string{"not labelled", "kubectl label secret -n ns sip-1013 " + dectv1alpha1.LabelConsumable + "=true"}},
		{"label false", map[string]string{dectv1alpha1.LabelConsumable: "false"}, nil, false, []string{"not labelled"}},
		{"label empty", map[string]string{dectv1alpha1.LabelConsumable: ""}, nil, false, []string{"not labelled"}},
		{"another label", map[string]string{"provisioning.dect-operator.dev/file": "true"}, nil, false, []string{"not labelled"}},
		// Rule 1: a base's own credentials Secret carries the label, and still is no input.
		{"a DectBase's own", labelled, owner(dectbase, "DectBase", "office", true), false, []string{"operator's own", "DectBase office"}},
		{"a DectBase's own, another version", labelled, owner("provisioning.dect-operator.dev/v1", "DectBase", "office", true), false, []string{"operator's own"}},
		// What secrets operators create is controlled by their own kinds: usable.
		{"a SealedSecret's", labelled, owner("bitnami.com/v1alpha1", "SealedSecret", "sip-1013", true), true, nil},
		{"an ExternalSecret's", labelled, owner("external-secrets.io/v1", "ExternalSecret", "sip-1013", true), true, nil},
		{"owned, not controlled, by a DectBase", labelled, owner(dectbase, "DectBase", "office", false), true, nil},
		{"a DectBase kind of another group", labelled, owner("example.com/v1", "DectBase", "office", true), true, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &metav1.ObjectMeta{Namespace: "ns", Name: "sip-1013", Labels: tt.labels, OwnerReferences: tt.owners}
			ok, why := Consumable(s)
			if ok != tt.ok {
				t.Fatalf("Consumable = %t (%q), want %t", ok, why, tt.ok)
			}
			if ok != (why == "") {
				t.Errorf("ok %t with why %q", ok, why)
			}
			for _, w := range tt.why {
				if !strings.Contains(why, w) {
					t.Errorf("why = %q, want it to say %q", why, w)
				}
			}
		})
	}
}
