package provfile

import (
	"cmp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OlderFirst orders two DectBases that declare one MAC: the older object first, then by
// namespace and name, so that the order is total. The manager and the provisioning
// server both decide with it which base holds a MAC.
func OlderFirst(a, b metav1.Object) int {
	if c := a.GetCreationTimestamp().Compare(b.GetCreationTimestamp().Time); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
}

// MACHolder returns the DectBase that holds a MAC among the bases that declare it: the
// oldest (OlderFirst) that is not being deleted; nil when every one is being deleted.
func MACHolder[T any, PT interface {
	*T
	metav1.Object
}](claims []T) PT {
	var holder PT
	for i := range claims {
		c := PT(&claims[i])
		if !c.GetDeletionTimestamp().IsZero() {
			continue
		}
		if holder == nil || OlderFirst(c, holder) < 0 {
			holder = c
		}
	}
	return holder
}
