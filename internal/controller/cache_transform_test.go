package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

func TestStripForCache(t *testing.T) {
	applied := map[string]string{lastApplied: `{"stringData":{"password":"in clear"}}`, "keep": "me"}
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	owned := []metav1.OwnerReference{{APIVersion: "provisioning.dect-operator.dev/v1alpha1", Kind: "DectBase", Name: "office", UID: "u", Controller: new(bool)}}
	*owned[0].Controller = true
	for _, tc := range []struct {
		name         string
		obj          client.Object
		keepsApplied bool
	}{
		{"a Handset others apply", &dectv1alpha1.Handset{}, false},
		{"a password Secret others apply", &corev1.Secret{}, false},
		{"the base's own file", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{OwnerReferences: owned}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.obj.SetAnnotations(applied)
			tc.obj.SetManagedFields(managed)
			out, err := stripForCache(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			o := out.(client.Object)
			if len(o.GetManagedFields()) != 0 {
				t.Errorf("managed fields kept: %v", o.GetManagedFields())
			}
			if _, has := o.GetAnnotations()[lastApplied]; has != tc.keepsApplied {
				t.Errorf("last-applied kept: %v, want %v", has, tc.keepsApplied)
			}
			if o.GetAnnotations()["keep"] != "me" {
				t.Errorf("other annotations lost: %v", o.GetAnnotations())
			}
			if _, has := applied[lastApplied]; !has {
				t.Error("the input's annotation map was changed in place")
			}
		})
	}
}
