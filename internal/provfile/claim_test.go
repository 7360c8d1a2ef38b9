package provfile

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dect-operator/dect-operator/internal/macpolicy"
)

func TestClaimOf(t *testing.T) {
	now := metav1.Now()
	created := metav1.NewTime(time.Unix(100, 0))
	for _, tc := range []struct {
		meta metav1.ObjectMeta
		want macpolicy.Claim
	}{
		{metav1.ObjectMeta{Namespace: "a", Name: "office", CreationTimestamp: created},
			macpolicy.Claim{Namespace: "a", Name: "office", Created: time.Unix(100, 0)}},
		{metav1.ObjectMeta{Namespace: "a", Name: "office", CreationTimestamp: created, DeletionTimestamp: &now},
			macpolicy.Claim{Namespace: "a", Name: "office", Created: time.Unix(100, 0), Deleting: true}},
	} {
		if got := ClaimOf(&tc.meta); got != tc.want {
			t.Errorf("ClaimOf(%+v) = %+v, want %+v", tc.meta, got, tc.want)
		}
	}
}

func TestMACPolicyReadsTheAnnotationOfEachNamespace(t *testing.T) {
	ns := func(name string, annotations map[string]string) metav1.PartialObjectMetadata {
		return metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
	}
	p := MACPolicy(macpolicy.FirstCome, []metav1.PartialObjectMetadata{
		ns("a", map[string]string{macpolicy.Annotation: "7C2F80CA21E4"}),
		ns("b", map[string]string{"other": "7C2F80CA21E5"}),
		ns("c", map[string]string{macpolicy.Annotation: ""}),
	})
	claims := func(ns string) []macpolicy.Claim { return []macpolicy.Claim{{Namespace: ns, Name: "x"}} }
	for _, tc := range []struct {
		mac, ns string
		want    macpolicy.Reason
	}{
		{"7C2F80CA21E4", "a", ""},                   // listed for a
		{"7C2F80CA21E4", "b", macpolicy.NotAllowed}, // reserved for a
		{"7C2F80CA21E5", "b", ""},                   // another annotation is none of the policy's
		{"7C2F80CA21E5", "c", macpolicy.NotAllowed}, // an empty annotation is present, listing nothing
	} {
		if got := p.Decide(tc.mac, claims(tc.ns)).Verdicts[0].Reason; got != tc.want {
			t.Errorf("%s in %s: %q, want %q", tc.mac, tc.ns, got, tc.want)
		}
	}
}

func TestControllerBase(t *testing.T) {
	yes, no := true, false
	ref := func(apiVersion, kind, name string, controller *bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: "u", Controller: controller}
	}
	for _, tc := range []struct {
		name string
		refs []metav1.OwnerReference
		want string // the base's name, "" for none
	}{
		{"no owner", nil, ""},
		{"the controlling DectBase", []metav1.OwnerReference{ref("provisioning.dect-operator.dev/v1alpha1", "DectBase", "office", &yes)}, "office"},
		{"another version of the group", []metav1.OwnerReference{ref("provisioning.dect-operator.dev/v1", "DectBase", "office", &yes)}, "office"},
		{"an owner, not the controller", []metav1.OwnerReference{ref("provisioning.dect-operator.dev/v1alpha1", "DectBase", "office", &no)}, ""},
		{"a DectBase of another group", []metav1.OwnerReference{ref("evil.example.com/v1alpha1", "DectBase", "office", &yes)}, ""},
		{"a group that only starts like ours", []metav1.OwnerReference{ref("provisioning.dect-operator.dev.example.com/v1", "DectBase", "office", &yes)}, ""},
		{"another kind of the group", []metav1.OwnerReference{ref("provisioning.dect-operator.dev/v1alpha1", "Handset", "office", &yes)}, ""},
		{"a malformed apiVersion", []metav1.OwnerReference{ref("a/b/c", "DectBase", "office", &yes)}, ""},
		{"the controller among owners", []metav1.OwnerReference{
			ref("v1", "ConfigMap", "x", &no),
			ref("provisioning.dect-operator.dev/v1alpha1", "DectBase", "lab", &yes)}, "lab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ControllerBase(&metav1.ObjectMeta{OwnerReferences: tc.refs})
			var name string
			if got != nil {
				name = got.Name
			}
			if name != tc.want {
				t.Errorf("ControllerBase = %v, want the base %q", got, tc.want)
			}
		})
	}
}
