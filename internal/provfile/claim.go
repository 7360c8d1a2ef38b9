package provfile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

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
