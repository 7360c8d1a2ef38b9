package provfile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
)

// ClaimOf is a DectBase's claim on the MAC it declares, for macpolicy.Policy.Decide:
// the manager and the provisioning server both decide with it which base holds a MAC.
func ClaimOf(o metav1.Object) macpolicy.Claim {
	return macpolicy.Claim{
		Namespace: o.GetNamespace(), Name: o.GetName(),
		Created: o.GetCreationTimestamp().Time, Deleting: !o.GetDeletionTimestamp().IsZero(),
	}
}

// MACPolicy is the cluster's MAC policy: mode, and the annotation macpolicy.Annotation
// of every Namespace (metadata only) that has it.
func MACPolicy(mode macpolicy.Mode, namespaces []metav1.PartialObjectMetadata) macpolicy.Policy {
	annotations := map[string]string{}
	for _, ns := range namespaces {
		if v, ok := ns.Annotations[macpolicy.Annotation]; ok {
			annotations[ns.Name] = v
		}
	}
	return macpolicy.New(mode, annotations)
}

// NamespaceList is an empty list of Namespaces, metadata only, to List into: the
// manager and the server cache Namespaces without their spec and status.
func NamespaceList() *metav1.PartialObjectMetadataList {
	l := &metav1.PartialObjectMetadataList{}
	l.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "NamespaceList"})
	return l
}

// ControllerBase returns o's controller reference when it names a DectBase of this
// operator's API group (any version), nil otherwise. It is the one test of "a DectBase
// controls this object": the manager wakes that base when its file or Secret changes,
// keeps the object's annotations in its cache, and the server serves a file only for
// the base it names.
func ControllerBase(o metav1.Object) *metav1.OwnerReference {
	ref := metav1.GetControllerOf(o)
	if ref == nil || ref.Kind != "DectBase" {
		return nil
	}
	if gv, err := schema.ParseGroupVersion(ref.APIVersion); err != nil || gv.Group != dectv1alpha1.GroupVersion.Group {
		return nil
	}
	return ref
}
